package outbound

import (
	"testing"
	"time"
)

func TestWithinWindow(t *testing.T) {
	now := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	day := Capabilities{ReplyWindow: 24 * time.Hour}
	tests := []struct {
		name string
		caps Capabilities
		last time.Time
		want bool
	}{
		{"no window", Capabilities{}, time.Time{}, true},
		{"never wrote", day, time.Time{}, false},
		{"inside", day, now.Add(-23 * time.Hour), true},
		{"edge", day, now.Add(-24 * time.Hour), false},
		{"outside", day, now.Add(-25 * time.Hour), false},
		{"future (skew)", day, now.Add(time.Second), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.caps.WithinWindow(tt.last, now); got != tt.want {
				t.Fatalf("WithinWindow = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOptOut(t *testing.T) {
	for _, tt := range []struct {
		text string
		want bool
	}{
		{"TD", true}, {"td", true}, {"T D", true}, {"ＴＤ", true}, {"ｔｄ", true}, {"Ｔ　Ｄ", true},
		{"退订", true}, {" 退订！", true}, {"退订。", true}, {"td.", true},
		{"怎么退订会员", false}, {"TDK", false}, {"", false}, {"hello", false}, {"t", false},
	} {
		if got := IsOptOut(tt.text); got != tt.want {
			t.Errorf("IsOptOut(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
	custom := NewOptOut("STOP", "取消订阅")
	if !custom.Match("stop!") || !custom.Match("取消 订阅") || custom.Match("TD") {
		t.Error("custom keywords not honoured")
	}
}

func TestTemporary(t *testing.T) {
	if Temporary(nil) != nil {
		t.Fatal("Temporary(nil) != nil")
	}
	if IsTemporary(errTest) || !IsTemporary(Temporary(errTest)) {
		t.Fatal("IsTemporary wrong")
	}
}

var errTest = errorString("x")

type errorString string

func (e errorString) Error() string { return string(e) }
