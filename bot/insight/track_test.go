package insight

import "testing"

func TestTrackUsesTheGivenMoodsAndTheTextsSignals(t *testing.T) {
	turns := []Turn{
		{Text: "where is my parcel", BotReply: "Let me check.", Resolved: false},
		{Text: "where is my parcel?", BotReply: "It is on its way.", Resolved: false},
		{Text: "where is my parcel??"},
	}
	calm := []MoodPoint{{Label: MoodCalm}, {Label: MoodCalm}, {Label: MoodCalm}}
	angry := []MoodPoint{{Label: MoodFrustrated, Valence: -0.5, Arousal: 0.6}, {Label: MoodFrustrated, Valence: -0.6, Arousal: 0.7}, {Label: MoodAngry, Valence: -0.9, Arousal: 0.9}}
	a, b := Track(turns, calm), Track(turns, angry)
	if a.Signals.Asked < 3 || b.Signals.Asked != a.Signals.Asked {
		t.Fatalf("asked = %d / %d, want the repetition counted from the text (3) either way", a.Signals.Asked, b.Signals.Asked)
	}
	if b.Moods[2].Label != MoodAngry || a.Moods[2].Label != MoodCalm {
		t.Fatalf("moods not taken from the caller: %+v / %+v", a.Moods, b.Moods)
	}
	if !(b.EscalationRisk > a.EscalationRisk) || !b.Escalate() {
		t.Errorf("risk calm %.2f, angry %.2f: want the angry trajectory higher and escalating", a.EscalationRisk, b.EscalationRisk)
	}
	// Missing or invalid moods are read from the text.
	c := Track(turns, []MoodPoint{{Label: "furious?"}})
	if len(c.Moods) != 3 || c.Moods[0].Label == "furious?" {
		t.Errorf("invalid mood kept: %+v", c.Moods)
	}
	if got := Track(nil, nil); len(got.Moods) != 0 {
		t.Errorf("empty conversation: %+v", got)
	}
}
