package flow

import "testing"

func TestRecordHasAndStatus(t *testing.T) {
	var r Record
	if r.Has(Version) || r.Has(LogStatus) || r.Status() != "" {
		t.Fatal("zero Record reports fields present")
	}
	r.Present = 1<<LogStatus | 1<<PacketsLostTTLExpired
	r.Str[LogStatus] = []byte("NODATA")
	tests := []struct {
		id   FieldID
		want bool
	}{
		{Version, false},
		{LogStatus, true},
		{Action, false},
		{PacketsLostTTLExpired, true},
		{PacketsLostMTUExceeded, false},
	}
	for _, tt := range tests {
		if got := r.Has(tt.id); got != tt.want {
			t.Errorf("Has(%s) = %v, want %v", tt.id, got, tt.want)
		}
	}
	if got := r.Status(); got != "NODATA" {
		t.Errorf("Status() = %q, want NODATA", got)
	}
	// A stale value without its Present bit is not reported.
	r.Present &^= 1 << LogStatus
	if got := r.Status(); got != "" {
		t.Errorf("Status() without log-status = %q, want empty", got)
	}
}

func TestRecordReset(t *testing.T) {
	var r Record
	r.Present = ^uint64(0)
	r.Extra = append(r.Extra, []byte("a"), nil)
	r.ExtraNames = append(r.ExtraNames, "x", "y")
	capExtra, capNames := cap(r.Extra), cap(r.ExtraNames)
	r.Reset()
	if r.Present != 0 {
		t.Errorf("Present = %b after Reset", r.Present)
	}
	if len(r.Extra) != 0 || len(r.ExtraNames) != 0 {
		t.Errorf("Extra %d, ExtraNames %d after Reset, want 0", len(r.Extra), len(r.ExtraNames))
	}
	// Reset keeps the backing arrays, so that reuse does not allocate.
	if cap(r.Extra) != capExtra || cap(r.ExtraNames) != capNames {
		t.Errorf("Reset dropped capacity: %d/%d, %d/%d", cap(r.Extra), capExtra, cap(r.ExtraNames), capNames)
	}
	for id := FieldID(0); id < NumFields; id++ {
		if r.Has(id) {
			t.Errorf("Has(%s) after Reset", id)
		}
	}
}
