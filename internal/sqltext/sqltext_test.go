package sqltext

import "testing"

func TestString(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "''"},
		{"10.0.0.5", "'10.0.0.5'"},
		{"it's", "'it''s'"},
		{"''", "''''''"},
		{`C:\cases\a b`, `'C:\cases\a b'`},
		{"line\nbreak", "'line\nbreak'"},
	} {
		if got := String(c.in); got != c.want {
			t.Errorf("String(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestLists(t *testing.T) {
	if got, want := Strings([]string{"a", "o'b"}), "'a', 'o''b'"; got != want {
		t.Errorf("Strings = %s, want %s", got, want)
	}
	if got := Strings(nil); got != "" {
		t.Errorf("Strings(nil) = %q, want empty", got)
	}
	if got, want := Ints([]int{22, 3389, 0, -1}), "22, 3389, 0, -1"; got != want {
		t.Errorf("Ints = %s, want %s", got, want)
	}
	if got, want := Ints([]int64{1 << 40, 7}), "1099511627776, 7"; got != want {
		t.Errorf("Ints(int64) = %s, want %s", got, want)
	}
}
