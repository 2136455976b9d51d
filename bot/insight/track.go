package insight

// Track computes a conversation's trajectory when each turn's mood is
// already known — from a language model, say — rather than read by the
// offline lexicons: moods[i] is turns[i]'s mood, oldest first, the current
// turn last. The signals beyond words (repetition, gaps, unresolved
// answers, punctuation, composition) and the intents used to recognise a
// repeated question still come from the turns' text, so the risk is
// computed exactly as for the offline analyzer. With fewer moods than turns
// the missing ones are read from the text.
func Track(turns []Turn, moods []MoodPoint) Trajectory {
	if len(turns) == 0 {
		return Trajectory{}
	}
	if drop := len(turns) - maxTurns; drop > 0 {
		turns = turns[drop:]
		if len(moods) > drop {
			moods = moods[drop:]
		} else {
			moods = nil
		}
	}
	states := make([]turnState, len(turns))
	var cur *reading
	for i, t := range turns {
		r := read(t.Text)
		point := MoodPoint{Label: r.mood, Valence: round3(r.valence), Arousal: round3(r.arousal)}
		if i < len(moods) && validMood(moods[i].Label) {
			point = moods[i]
		}
		states[i] = turnState{
			intent:    r.intent,
			point:     point,
			grams:     bigrams(t.Text),
			runs:      r.exclaimRuns + r.questionRuns,
			saysAgain: r.cues[cueRepeat] >= 2,
		}
		cur = r
	}
	sig := signals(turns, states)
	return trajectory(states, sig, cur, states[len(states)-1].intent)
}

func validMood(m string) bool {
	for _, x := range Moods {
		if x == m {
			return true
		}
	}
	return false
}
