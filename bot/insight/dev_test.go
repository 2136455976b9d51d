package insight

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"sort"
	"testing"
)

// The development sets in bot/testdata are the only labelled data tuned
// against; the held-out *_test.jsonl files are never read here.
var (
	devUtterances = []string{"../testdata/insight_dev.jsonl", "../testdata/insight_dev2.jsonl", "../testdata/insight_dev3.jsonl",
		"../testdata/insight_dev4.jsonl", "../testdata/insight_dev5.jsonl", "../testdata/insight_dev6.jsonl"}
	devDialogues = []string{"../testdata/dialogues_dev.jsonl", "../testdata/dialogues_dev2.jsonl", "../testdata/dialogues_dev3.jsonl",
		"../testdata/dialogues_dev4.jsonl", "../testdata/dialogues_dev5.jsonl", "../testdata/dialogues_dev6.jsonl"}
)

type devLine struct {
	Text     string   `json:"text"`
	Intent   string   `json:"intent"`
	Mood     any      `json:"mood"`
	Escalate *bool    `json:"escalate"`
	Turns    []devTrn `json:"turns"`
}

type devTrn struct {
	Text      string `json:"text"`
	GapMS     int64  `json:"gap_ms"`
	ComposeMS int64  `json:"compose_ms"`
	Deletions int    `json:"deletions"`
	Bot       string `json:"bot"`
	Resolved  bool   `json:"resolved"`
}

func readDev(t testing.TB, path string) []devLine {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		t.Skipf("%s not there yet", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []devLine
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var l devLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, l)
	}
	return out
}

// confusion counts gold/predicted label pairs.
type confusion map[[2]string]int

func (c confusion) macroF1() float64 {
	labels := map[string]bool{}
	for k := range c {
		labels[k[0]] = true
	}
	sum := 0.0
	for l := range labels {
		tp, fp, fn := 0, 0, 0
		for k, n := range c {
			switch {
			case k[0] == l && k[1] == l:
				tp += n
			case k[1] == l:
				fp += n
			case k[0] == l:
				fn += n
			}
		}
		if tp > 0 {
			p, r := float64(tp)/float64(tp+fp), float64(tp)/float64(tp+fn)
			sum += 2 * p * r / (p + r)
		}
	}
	return sum / float64(len(labels))
}

// TestDevScores measures the rule layer on the development sets and
// guards against regressions below the goals. It scores the rules
// alone: the trained layer is fitted on these very sets, so the full
// analyzer's figures here would measure its fit, not its accuracy (its
// honest figures are the cross-validation of bot/insight/fit).
func TestDevScores(t *testing.T) {
	intents, moods, esc := confusion{}, confusion{}, confusion{}
	var misses []string
	o := NewOfflineModel(nil)
	ctx := context.Background()
	var utterances, dialogues []devLine
	for _, p := range devUtterances {
		utterances = append(utterances, readDev(t, p)...)
	}
	for _, p := range devDialogues {
		dialogues = append(dialogues, readDev(t, p)...)
	}
	for _, l := range utterances {
		in, _ := o.Analyze(ctx, []Turn{{Text: l.Text}}, nil)
		intents[[2]string{l.Intent, in.Intent}]++
		moods[[2]string{l.Mood.(string), in.Mood}]++
		if l.Intent != in.Intent {
			misses = append(misses, "intent "+l.Intent+" got "+in.Intent+": "+l.Text)
		}
		if l.Mood.(string) != in.Mood {
			misses = append(misses, "mood   "+l.Mood.(string)+" got "+in.Mood+": "+l.Text)
		}
	}
	for _, l := range dialogues {
		var turns []Turn
		var earlier []Insight
		escalated := false
		gold, _ := l.Mood.([]any)
		for i, tr := range l.Turns {
			turns = append(turns, Turn{Text: tr.Text, GapMS: tr.GapMS, ComposeMS: tr.ComposeMS, Deletions: tr.Deletions})
			in, _ := o.Analyze(ctx, turns, earlier)
			turns[i].BotReply, turns[i].Resolved = tr.Bot, tr.Resolved
			earlier = append(earlier, in)
			escalated = escalated || in.Trajectory.Escalate()
			if i < len(gold) {
				g := gold[i].(string)
				moods[[2]string{g, in.Mood}]++
				if g != in.Mood {
					misses = append(misses, "turn   "+g+" got "+in.Mood+": "+tr.Text)
				}
			}
			if testing.Verbose() && os.Getenv("INSIGHT_DEV_TRACE") != "" {
				t.Logf("  %-10s risk %.2f %v | %s", in.Mood, in.Trajectory.EscalationRisk, in.Trajectory.Factors, tr.Text)
			}
		}
		if l.Escalate != nil {
			g := "false"
			if *l.Escalate {
				g = "true"
			}
			p := "false"
			if escalated {
				p = "true"
			}
			esc[[2]string{g, p}]++
			if g != p {
				misses = append(misses, "escalate "+g+" got "+p+": "+l.Turns[len(l.Turns)-1].Text)
			}
		}
	}
	recall := float64(esc[[2]string{"true", "true"}]) / float64(max(1, esc[[2]string{"true", "true"}]+esc[[2]string{"true", "false"}]))
	t.Logf("dev: intent macro-F1 %.3f, mood macro-F1 %.3f, escalate macro-F1 %.3f recall %.3f",
		intents.macroF1(), moods.macroF1(), esc.macroF1(), recall)
	if os.Getenv("INSIGHT_DEV_MISSES") != "" {
		sort.Strings(misses)
		for _, m := range misses {
			t.Log(m)
		}
	}
	if f := intents.macroF1(); f < 0.80 {
		t.Errorf("intent macro-F1 %.3f below 0.80", f)
	}
	if f := moods.macroF1(); f < 0.70 {
		t.Errorf("mood macro-F1 %.3f below 0.70", f)
	}
	if recall < 0.85 {
		t.Errorf("escalation recall %.3f below 0.85", recall)
	}
}
