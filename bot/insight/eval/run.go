package eval

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/kairoscx/kairos/bot/insight"
)

// Fields scored, in report order.
const (
	FieldIntent   = "intent"
	FieldMood     = "mood"
	FieldEscalate = "escalate"
)

// Report is the outcome of one evaluation: a confusion matrix per field and
// the examples the analyzer got wrong.
type Report struct {
	Intent   Confusion
	Mood     Confusion // utterance moods and every dialogue turn's mood
	Escalate Confusion // labels "true" and "false", one per dialogue
	Misses   []Miss
	// ByLang splits the intent and mood figures by language ("zh", "en";
	// the utterance's lang label, else the language its text is written in).
	ByLang map[string]*LangReport
}

// LangReport is the intent and mood confusion of one language's examples.
type LangReport struct {
	Intent, Mood Confusion
}

func (r *Report) lang(l string) *LangReport {
	if l == "" {
		l = "none"
	}
	if r.ByLang == nil {
		r.ByLang = make(map[string]*LangReport)
	}
	if r.ByLang[l] == nil {
		r.ByLang[l] = &LangReport{}
	}
	return r.ByLang[l]
}

// Miss is one wrong prediction.
type Miss struct {
	Line  int    // line of the example in the file
	Turn  int    // 1-based turn of a dialogue, 0 for an utterance or a whole dialogue
	Field string // FieldIntent, FieldMood or FieldEscalate
	Text  string // the message (the last turn's, for escalate)
	Gold  string
	Pred  string
}

// start is when every evaluated dialogue begins: turn times are built from
// their gaps, so runs are reproducible.
var start = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// Run analyzes every example of set with a and scores the predictions.
//
// An utterance is analyzed alone. A dialogue is analyzed turn by turn, each
// turn with the earlier turns (and their insights) as context, as the
// engine does while the conversation happens: the current turn carries no
// bot reply yet, the earlier ones carry theirs. Turn times start at a fixed
// instant and advance by each turn's gap. The dialogue is predicted to
// escalate when the trajectory says so at any turn.
//
// An analyzer error stops the run; the error names the line.
func Run(ctx context.Context, a insight.Analyzer, set Set) (*Report, error) {
	r := &Report{}
	for _, u := range set.Utterances {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		in, err := a.Analyze(ctx, []insight.Turn{{Text: u.Text, At: start}}, nil)
		if err != nil {
			return nil, fmt.Errorf("eval: line %d: %w", u.Line, err)
		}
		lang := u.Lang
		if lang == "" {
			lang = insight.Lang(u.Text)
		}
		if u.Intent != "" {
			r.add(&r.Intent, FieldIntent, u.Line, 0, u.Text, u.Intent, in.Intent)
			r.lang(lang).Intent.Add(u.Intent, in.Intent)
		}
		if u.Mood != "" {
			r.add(&r.Mood, FieldMood, u.Line, 0, u.Text, u.Mood, in.Mood)
			r.lang(lang).Mood.Add(u.Mood, in.Mood)
		}
	}
	for _, d := range set.Dialogues {
		if err := r.dialogue(ctx, a, d); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *Report) dialogue(ctx context.Context, a insight.Analyzer, d Dialogue) error {
	turns := make([]insight.Turn, 0, len(d.Turns))
	earlier := make([]insight.Insight, 0, len(d.Turns))
	at := start
	escalated := false
	for i, t := range d.Turns {
		if err := ctx.Err(); err != nil {
			return err
		}
		at = at.Add(time.Duration(t.GapMS) * time.Millisecond)
		t.At = at
		// The bot has not answered the turn being analyzed yet.
		cur := t
		cur.BotReply, cur.Resolved = "", false
		turns = append(turns, cur)
		in, err := a.Analyze(ctx, turns, earlier)
		if err != nil {
			return fmt.Errorf("eval: line %d: turn %d: %w", d.Line, i+1, err)
		}
		turns[i] = t // its answer is known once the next turn comes
		earlier = append(earlier, in)
		if d.Moods != nil {
			r.add(&r.Mood, FieldMood, d.Line, i+1, t.Text, d.Moods[i], in.Mood)
			r.lang(insight.Lang(d.Turns[0].Text)).Mood.Add(d.Moods[i], in.Mood)
		}
		escalated = escalated || in.Trajectory.Escalate()
	}
	if d.Escalate != nil {
		last := d.Turns[len(d.Turns)-1].Text
		r.add(&r.Escalate, FieldEscalate, d.Line, 0, last, strconv.FormatBool(*d.Escalate), strconv.FormatBool(escalated))
	}
	return nil
}

func (r *Report) add(c *Confusion, field string, line, turn int, text, gold, pred string) {
	c.Add(gold, pred)
	if gold != pred {
		r.Misses = append(r.Misses, Miss{Line: line, Turn: turn, Field: field, Text: text, Gold: gold, Pred: pred})
	}
}

// Score is one field's figures.
type Score struct {
	N        int     `json:"n"`
	Accuracy float64 `json:"accuracy"`
	MacroF1  float64 `json:"macro_f1"`
}

// EscalateScore adds the recall of escalate=true: of the dialogues a
// supervisor would have stepped into, the share the analyzer flagged. It is
// nil (JSON null) when no dialogue is labelled true.
type EscalateScore struct {
	Score
	Recall *float64 `json:"recall"`
}

// Scores are the figures of the fields that had labelled examples; a field
// without any is nil and left out of the JSON.
type Scores struct {
	Intent   *Score         `json:"intent,omitempty"`
	Mood     *Score         `json:"mood,omitempty"`
	Escalate *EscalateScore `json:"escalate,omitempty"`
}

// Scores summarises the report.
func (r *Report) Scores() Scores {
	var s Scores
	if r.Intent.N() > 0 {
		s.Intent = score(&r.Intent)
	}
	if r.Mood.N() > 0 {
		s.Mood = score(&r.Mood)
	}
	if r.Escalate.N() > 0 {
		s.Escalate = &EscalateScore{Score: *score(&r.Escalate)}
		if r.Escalate.Support("true") > 0 {
			rec := r.Escalate.Recall("true")
			s.Escalate.Recall = &rec
		}
	}
	return s
}

func score(c *Confusion) *Score {
	return &Score{N: c.N(), Accuracy: c.Accuracy(), MacroF1: c.MacroF1()}
}

// Write prints the figures of each scored field as text; verbose adds each
// field's confusion matrix and the intent and mood figures per language.
func (r *Report) Write(w io.Writer, verbose bool) error {
	fields := []struct {
		name  string
		c     *Confusion
		order []string
	}{
		{FieldIntent, &r.Intent, insight.Intents},
		{FieldMood, &r.Mood, insight.Moods},
		{FieldEscalate, &r.Escalate, []string{"true", "false"}},
	}
	for _, f := range fields {
		if f.c.N() == 0 {
			continue
		}
		line := fmt.Sprintf("%-9s n=%-4d accuracy=%.3f macro_f1=%.3f", f.name, f.c.N(), f.c.Accuracy(), f.c.MacroF1())
		if f.name == FieldEscalate {
			if f.c.Support("true") > 0 {
				line += fmt.Sprintf(" recall=%.3f precision=%.3f", f.c.Recall("true"), f.c.Precision("true"))
			} else {
				line += " recall=n/a (no dialogue labelled true)"
			}
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
		if verbose {
			if err := f.c.WriteMatrix(w, f.order); err != nil {
				return err
			}
			fmt.Fprintln(w)
		}
	}
	if verbose && len(r.ByLang) > 0 {
		langs := make([]string, 0, len(r.ByLang))
		for l := range r.ByLang {
			langs = append(langs, l)
		}
		slices.Sort(langs)
		fmt.Fprintln(w, "by language:")
		for _, l := range langs {
			lr := r.ByLang[l]
			for _, f := range []struct {
				name string
				c    *Confusion
			}{{FieldIntent, &lr.Intent}, {FieldMood, &lr.Mood}} {
				if f.c.N() > 0 {
					fmt.Fprintf(w, "  %-4s %-7s n=%-4d accuracy=%.3f macro_f1=%.3f\n", l, f.name, f.c.N(), f.c.Accuracy(), f.c.MacroF1())
				}
			}
		}
	}
	return nil
}
