package jsonscan

import "testing"

func TestSkipSpace(t *testing.T) {
	tests := []struct {
		name string
		in   string
		i    int
		want int
	}{
		{"none", `x`, 0, 0},
		{"all four", " \t\r\nx", 0, 4},
		{"to the end", " \n ", 0, 3},
		{"from the middle", `a  b`, 1, 3},
		{"at the end", `ab`, 2, 2},
		{"not JSON space", "\v\f\u00a0x", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SkipSpace([]byte(tt.in), tt.i); got != tt.want {
				t.Errorf("SkipSpace(%q, %d) = %d, want %d", tt.in, tt.i, got, tt.want)
			}
		})
	}
}

func TestLiteral(t *testing.T) {
	tests := []struct {
		in, lit string
		i       int
		want    bool
	}{
		{`true`, "true", 0, true},
		{`[false]`, "false", 1, true},
		{`null,`, "null", 0, true},
		{`truex`, "true", 0, true}, // the caller rejects what follows
		{`tru`, "true", 0, false},
		{`nul`, "null", 0, false},
		{`True`, "true", 0, false},
		{`fals`, "false", 0, false},
		{`xnull`, "null", 2, false},
		{``, "null", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in+"/"+tt.lit, func(t *testing.T) {
			if got := Literal([]byte(tt.in), tt.i, tt.lit); got != tt.want {
				t.Errorf("Literal(%q, %d, %q) = %v, want %v", tt.in, tt.i, tt.lit, got, tt.want)
			}
		})
	}
}

func TestNumberEnd(t *testing.T) {
	tests := []struct {
		in   string
		want int // -1: not a number
	}{
		{`0`, 1}, {`-0`, 2}, {`7`, 1}, {`123`, 3}, {`-45,`, 3},
		{`1.5`, 3}, {`0.25}`, 4}, {`-1.5e3`, 6}, {`1E+2`, 4}, {`1.5e-7`, 6}, {`2e10 `, 4},
		{`123456789012345678901234567890`, 30},
		{`01`, 1},   // the grammar stops after the 0; the caller rejects the 1
		{`1x`, 1},   // likewise
		{`1.5.`, 3}, // likewise
		{`-`, -1}, {`+1`, -1}, {`.5`, -1}, {`1.`, -1}, {`1.e3`, -1}, {`1e`, -1}, {`1e+`, -1},
		{`-x`, -1}, {`--1`, -1}, {`x`, -1}, {``, -1}, {`Infinity`, -1}, {`NaN`, -1},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := NumberEnd([]byte(tt.in), 0)
			if !ok {
				got = -1
			}
			if got != tt.want {
				t.Errorf("NumberEnd(%q) = %d, %v; want %d", tt.in, got, ok, tt.want)
			}
		})
	}
	if end, ok := NumberEnd([]byte(`{"a":-12}`), 5); !ok || end != 8 {
		t.Errorf("NumberEnd at 5 = %d, %v; want 8, true", end, ok)
	}
}

func TestPlainString(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      string // the text, when ok
		printable bool
		ok        bool
	}{
		{"empty", `""`, "", true, true},
		{"ascii", `"page_view",`, "page_view", true, true},
		{"all printable", `" ~/:"`, " ~/:", true, true},
		{"utf-8", `"退款政策"`, "退款政策", false, true},
		{"invalid utf-8 left to the caller", "\"a\xffb\"", "a\xffb", false, true},
		{"DEL", "\"a\x7fb\"", "a\x7fb", false, true},
		{"quote escape", `"a\"b"`, "", false, false},
		{"unicode escape", `"\u00e9"`, "", false, false},
		{"solidus escape", `"\/"`, "", false, false},
		{"trailing backslash", `"a\`, "", false, false},
		{"tab", "\"a\tb\"", "", false, false},
		{"newline", "\"a\nb\"", "", false, false},
		{"NUL", "\"a\x00b\"", "", false, false},
		{"unterminated", `"abc`, "", false, false},
		{"not a string", `abc"`, "", false, false},
		{"nothing", ``, "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(tt.in)
			end, printable, ok := PlainString(b, 0)
			if ok != tt.ok {
				t.Fatalf("PlainString(%q) ok = %v, want %v", tt.in, ok, tt.ok)
			}
			if !ok {
				return
			}
			if got := string(b[1 : end-1]); got != tt.want || b[end-1] != '"' {
				t.Errorf("PlainString(%q) text %q (end %d), want %q", tt.in, got, end, tt.want)
			}
			if printable != tt.printable {
				t.Errorf("PlainString(%q) printable = %v, want %v", tt.in, printable, tt.printable)
			}
		})
	}
	if end, _, ok := PlainString([]byte(`{"id":"x"}`), 6); !ok || end != 9 {
		t.Errorf("PlainString at 6 = %d, %v; want 9, true", end, ok)
	}
}
