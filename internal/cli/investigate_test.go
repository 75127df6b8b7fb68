package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowir/flowir/internal/analysis"
)

// investigateCase: a host, its peers, a NAT leg that names it only at
// packet level, and a neighbour in the same /24.
func investigateCase(t *testing.T) string {
	t.Helper()
	const nat = "10.0.0.220"
	q1 := tcp("10.0.1.5", 40000, "203.0.113.66", 8443, t0, t0+30, 10, 2000).pkt("10.0.1.5", "203.0.113.66")
	q2 := tcp("198.51.100.9", 50000, "10.0.1.5", 22, t0+3600, t0+3601, 1, 60).reject()
	q3 := tcp("10.0.1.6", 41000, "10.0.1.5", 5432, t0+7200, t0+7260, 20, 4000).on("eni-6")
	inside := tcp("10.0.1.5", 40000, nat, 8443, t0, t0+30, 10, 2000).pkt("10.0.1.5", "203.0.113.66").on("eni-nat")
	outside := tcp(nat, 61000, "203.0.113.66", 8443, t0, t0+30, 10, 2000).pkt(nat, "203.0.113.66").on("eni-nat")
	// A transit gateway's interface: srcaddr is its own address.
	tgw := tcp("10.0.0.31", 40000, "10.0.2.9", 80, t0+60, t0+61, 3, 300).pkt("10.0.1.5", "10.0.2.9").on("eni-tgw")
	c := newDetectCase(t, []fr{q1, q1.reply(10, 9000), q2, q3, q3.reply(20, 90000), inside, outside, tgw})
	dir := c.Dir
	c.Close()
	return dir
}

func TestInvestigateAddress(t *testing.T) {
	caseDir := investigateCase(t)
	list := filepath.Join(t.TempDir(), "iocs.txt")
	os.WriteFile(list, []byte("203.0.113.0/24 # C2 range\n"), 0o644)
	if code, _, errOut := run(t, "ioc", "--case", caseDir, list); code != 0 {
		t.Fatalf("ioc: %s", errOut)
	}
	code, out, errOut := run(t, "investigate", "10.0.1.5", "--case", caseDir, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var inv analysis.Investigation
	if err := json.Unmarshal([]byte(out), &inv); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	o := inv.Overview
	// Out: q1, the inside leg (srcaddr 10.0.1.5), q3's reply; in: q1's
	// reply, q2, q3.
	if inv.Kind != "address" || o.Records != 6 || o.RecordsOut != 3 || o.RecordsIn != 3 || o.RejectedIn != 1 ||
		o.BytesOut.Int64() != 2000+2000+90000 || o.BytesIn.Int64() != 9000+60+4000 || o.Peers != 4 || o.FirstSeen.Unix() != t0 {
		t.Errorf("overview %+v", o)
	}
	if len(inv.DataRatio) != 6 || inv.DataRatio[0].Src != "10.0.1.5" || inv.DataRatio[0].Dst != "10.0.1.6" || inv.DataRatio[0].DataRatio.Int64() != 90000 {
		t.Errorf("data ratio %+v", inv.DataRatio)
	}
	if len(inv.IOCMatches) != 1 || inv.IOCMatches[0].Address != "203.0.113.66" || inv.IOCMatches[0].Role != "peer" || inv.IOCMatches[0].Records != 2 {
		t.Errorf("IOC matches %+v", inv.IOCMatches)
	}
	if inv.PacketLevel.Records != 1 || strings.Join(inv.PacketLevel.Via, ",") != "10.0.0.31" || strings.Join(inv.PacketLevel.Interfaces, ",") != "eni-tgw" {
		t.Errorf("packet level %+v", inv.PacketLevel)
	}
	for _, p := range inv.Ports {
		if p.Port == 8443 && p.Role != "connects" || p.Port == 22 && p.Role != "serves" || p.Port == 5432 && p.Role != "serves" {
			t.Errorf("port %+v", p)
		}
	}
	if len(inv.Timeline) != 3 || len(inv.Interfaces) != 3 || len(inv.Accounts) != 1 {
		t.Errorf("timeline %d hours, %d interfaces, %d accounts", len(inv.Timeline), len(inv.Interfaces), len(inv.Accounts))
	}
	// The table shows every section.
	code, out, _ = run(t, "investigate", "10.0.1.5", "--case", caseDir)
	for _, want := range []string{"== Overview: 10.0.1.5", "== Data ratio", "== Top peers", "== Hourly timeline", "== IOC matches", "== Packet-level only"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("table output lacks %q:\n%s", want, out)
		}
	}
	// csv needs a section.
	if code, _, errOut := run(t, "investigate", "10.0.1.5", "--case", caseDir, "--format", "csv"); code != 2 || !strings.Contains(errOut, "--section") {
		t.Errorf("csv without --section: exit %d %s", code, errOut)
	}
	code, out, _ = run(t, "investigate", "10.0.1.5", "--case", caseDir, "--format", "csv", "--section", "data_ratio")
	if code != 0 || !strings.HasPrefix(out, "sourceaddress,destinationaddress,record_count,total_bytes,data_ratio,first_seen,last_seen\n") {
		t.Errorf("csv data_ratio:\n%s", out)
	}
	for _, bad := range [][]string{{"investigate"}, {"investigate", "10.0.1.5/24"}, {"investigate", "host"}, {"investigate", "10.0.1.5", "--section", "x"}} {
		if code, _, _ := run(t, append(bad, "--case", caseDir)...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
}

func TestInvestigateNetwork(t *testing.T) {
	caseDir := investigateCase(t)
	code, out, errOut := run(t, "investigate", "10.0.1.0/24", "--case", caseDir, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var inv analysis.Investigation
	if err := json.Unmarshal([]byte(out), &inv); err != nil {
		t.Fatal(err)
	}
	// 10.0.1.5 and 10.0.1.6; q3 and its reply are inside the network.
	if inv.Kind != "network" || inv.Addresses != 2 || inv.Overview.RecordsBoth != 2 || len(inv.Members) != 2 {
		t.Errorf("network: %+v", inv)
	}
	// An address outside every record.
	code, out, _ = run(t, "investigate", "192.0.2.1", "--case", caseDir, "--format", "json")
	if err := json.Unmarshal([]byte(out), &inv); code != 0 || err != nil || inv.Overview.Records != 0 || inv.Overview.FirstSeen != nil {
		t.Errorf("unknown address: exit %d, %v, %+v", code, err, inv.Overview)
	}
}
