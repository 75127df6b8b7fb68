package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowir/flowir/internal/awsapi/awstest"
	"github.com/flowir/flowir/internal/casework"
	"github.com/flowir/flowir/internal/store"
)

// storeFindings puts two findings in the case as flowir detect would.
func storeFindings(t *testing.T, caseDir string) {
	t.Helper()
	c, err := store.Open(context.Background(), caseDir, store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p22, p443 := 22, 443
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	_, err = c.ReplaceFindings(context.Background(), store.DetectRun{StartedAt: t0, Rules: []string{"brute-force", "exfiltration"}, Config: []byte(`{}`)}, []store.FindingRow{
		{Rule: "brute-force", Severity: "medium", Technique: "T1110.001", Src: "198.51.100.7", Dst: "10.10.1.11", DstPort: &p22, Protocol: 6, Direction: "inbound",
			FirstSeen: t0, LastSeen: t0.Add(time.Hour), Records: 40, Bytes: big.NewInt(4000), Summary: "198.51.100.7 tried SSH on 10.10.1.11 40 times", EvidenceSQL: "SELECT * FROM flows WHERE interface_id = 'eni-y'"},
		{Rule: "exfiltration", Severity: "high", Technique: "T1048", Src: "10.99.0.1", Dst: "203.0.113.99", DstPort: &p443, Protocol: 6, Direction: "outbound",
			FirstSeen: t0, LastSeen: t0.Add(2 * time.Hour), Records: 3, Bytes: big.NewInt(9e9), Summary: "10.99.0.1 sent 9 GB to 203.0.113.99", EvidenceSQL: "SELECT * FROM flows WHERE interface_id = 'eni-x'"},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestFindingsExportASFF(t *testing.T) {
	dir := t.TempDir()
	caseDir := filepath.Join(dir, "ir-42")
	t.Setenv("FLOWIR_CASE", caseDir)
	mustRun(t, "inventory", "import", invDump, "--region", "eu-west-1")
	storeFindings(t, caseDir)
	code, _, stderr := run(t, "findings", "export")
	if code != 1 || !strings.Contains(stderr, "no AWS account id") {
		t.Fatalf("export without an account for the unplaced finding: %d %s", code, stderr)
	}
	out := mustRun(t, "findings", "export", "--account", "999988887777", "--region", "us-east-1")
	var doc struct {
		Findings []map[string]any `json:"Findings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Findings) != 2 {
		t.Fatalf("%v\n%s", err, out)
	}
	byRule := map[string]map[string]any{}
	for _, f := range doc.Findings {
		byRule[f["GeneratorId"].(string)] = f
	}
	bf := byRule["flowir/brute-force"]
	res := bf["Resources"].([]any)
	if bf["AwsAccountId"] != "111122223333" || bf["Region"] != "eu-west-1" || len(res) != 2 ||
		res[0].(map[string]any)["Id"] != "arn:aws:ec2:eu-west-1:111122223333:network-interface/eni-0aa00000000000001" ||
		res[1].(map[string]any)["Id"] != "arn:aws:ec2:eu-west-1:111122223333:instance/i-0aa00000000000001" ||
		bf["Types"].([]any)[0] != "TTPs/Credential Access/T1110.001 brute-force" || !strings.HasPrefix(bf["Id"].(string), "flowir/ir-42/brute-force-") {
		t.Fatalf("brute force finding %v", bf)
	}
	ex := byRule["flowir/exfiltration"]
	if ex["AwsAccountId"] != "999988887777" || ex["Region"] != "us-east-1" || ex["Types"].([]any)[0] != "Effects/Data Exfiltration/T1048 exfiltration" ||
		ex["Severity"].(map[string]any)["Label"] != "HIGH" || ex["Network"].(map[string]any)["Direction"] != "OUT" {
		t.Fatalf("exfiltration finding %v", ex)
	}
	// Ids are stable across exports.
	out2 := mustRun(t, "findings", "export", "--account", "999988887777", "--region", "us-east-1")
	if strings.Count(out2, bf["Id"].(string)) != 1 {
		t.Fatal("finding id changed between exports")
	}
	// detect --format asff writes the same findings; without --account the
	// finding no evidence record places has no account.
	if code, _, stderr := run(t, "detect", "--stored", "--format", "asff"); code != 1 || !strings.Contains(stderr, "no AWS account id") {
		t.Fatalf("detect asff without flows: %d %s", code, stderr)
	}
	c, err := store.Open(context.Background(), caseDir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Its evidence record places it; the case's other records do not.
	if _, err := c.DB().Exec(`INSERT INTO flows_wide (account_id, region_partition, interface_id, source_id, source_line) VALUES
		('444455556666', 'ap-south-1', 'eni-x', 1, 1), ('555566667777', 'eu-north-1', 'eni-z', 1, 2), ('555566667777', 'eu-north-1', 'eni-z', 1, 3)`); err != nil {
		t.Fatal(err)
	}
	c.Close()
	out3 := mustRun(t, "detect", "--stored", "--format", "asff")
	var doc3 struct{ Findings []map[string]any }
	if err := json.Unmarshal([]byte(out3), &doc3); err != nil || len(doc3.Findings) != 2 {
		t.Fatalf("%v\n%s", err, out3)
	}
	for _, f := range doc3.Findings {
		switch f["GeneratorId"] {
		case "flowir/brute-force":
			if f["Id"] != bf["Id"] || f["AwsAccountId"] != "111122223333" {
				t.Errorf("detect asff brute force %v", f)
			}
		case "flowir/exfiltration":
			if f["AwsAccountId"] != "444455556666" || f["Region"] != "ap-south-1" {
				t.Errorf("detect asff exfiltration %v", f)
			}
		}
	}
}

func TestFindingsExportSecurityHub(t *testing.T) {
	awstest.Env(t)
	dir := t.TempDir()
	caseDir := filepath.Join(dir, "case")
	t.Setenv("FLOWIR_CASE", caseDir)
	storeFindings(t, caseDir)
	var mu sync.Mutex
	var got []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path != "/findings/import" {
			w.WriteHeader(404)
			return
		}
		var in struct{ Findings []map[string]any }
		json.NewDecoder(r.Body).Decode(&in)
		for _, f := range in.Findings {
			// Each finding goes to the Security Hub of its Region (the
			// request's signing scope).
			if !strings.Contains(r.Header.Get("Authorization"), "/"+f["Region"].(string)+"/securityhub/aws4_request") {
				t.Errorf("finding in %s sent in a request signed for %s", f["Region"], r.Header.Get("Authorization"))
			}
		}
		got = append(got, in.Findings...)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"FailedCount":0,"SuccessCount":%d,"FailedFindings":[]}`, len(in.Findings))
	}))
	defer srv.Close()
	out := mustRun(t, "findings", "export", "--security-hub", "--account", "111122223333", "--region", "eu-west-1", "--endpoint-url", srv.URL)
	if out != "Security Hub (eu-west-1): 2 findings imported, 0 refused, in 1 BatchImportFindings calls\n" || len(got) != 2 {
		t.Fatalf("%q %d", out, len(got))
	}
	if got[0]["ProductArn"] != "arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default" {
		t.Fatalf("%v", got[0])
	}
	// The exfiltration's evidence record is in ap-south-1: it goes there.
	c, err := store.Open(context.Background(), caseDir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DB().Exec(`INSERT INTO flows_wide (account_id, region, interface_id, source_id, source_line) VALUES ('111122223333', 'ap-south-1', 'eni-x', 1, 1)`); err != nil {
		t.Fatal(err)
	}
	c.Close()
	got = nil
	out = mustRun(t, "findings", "export", "--security-hub", "--account", "111122223333", "--region", "eu-west-1", "--endpoint-url", srv.URL)
	if out != "Security Hub (ap-south-1): 1 findings imported, 0 refused, in 1 BatchImportFindings calls\n"+
		"Security Hub (eu-west-1): 1 findings imported, 0 refused, in 1 BatchImportFindings calls\n" || len(got) != 2 {
		t.Fatalf("%q %d", out, len(got))
	}
}

// TestEnrichment: with an inventory in the case, detect and ioc output name
// the owners of the addresses, and the VPC CIDRs are internal to detect.
func TestEnrichment(t *testing.T) {
	dir := t.TempDir()
	caseDir := filepath.Join(dir, "case")
	t.Setenv("FLOWIR_CASE", caseDir)
	storeFindings(t, caseDir)
	out := mustRun(t, "detect", "--stored", "--format", "csv")
	if strings.Contains(out, "_owner") {
		t.Fatalf("owner columns without an inventory:\n%s", out)
	}
	mustRun(t, "inventory", "import", invDump, "--region", "eu-west-1")
	out = mustRun(t, "detect", "--stored", "--format", "json")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		switch r["rule"] {
		case "brute-force":
			if r["dst_owner"] != "instance i-0aa00000000000001 (web-1) eni-0aa00000000000001 subnet-0aa00000000000001 vpc-0aa00000000000001 sg-0aa00000000000001,sg-0aa00000000000002" || r["src_owner"] != nil {
				t.Errorf("brute force owners: %v", r)
			}
		case "exfiltration":
			if r["src_owner"] != nil || r["dst_owner"] != nil {
				t.Errorf("exfiltration owners: %v", r)
			}
		}
	}
	// ioc: the internal host that talked to the IOC is named.
	logs := filepath.Join(dir, "111122223333_vpcflowlogs_eu-west-1_fl-0aa00000000000001_20240501T1000Z_abcdef12.log")
	os.WriteFile(logs, []byte("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"+
		"2 111122223333 eni-0aa00000000000004 10.10.1.30 192.0.2.66 40000 443 6 10 1000 1714557600 1714557660 ACCEPT OK\n"), 0o644)
	mustRun(t, "ingest", "-q", logs)
	iocs := filepath.Join(dir, "iocs.txt")
	os.WriteFile(iocs, []byte("192.0.2.66\n"), 0o644)
	out = mustRun(t, "ioc", iocs, "--format", "json")
	if !strings.Contains(out, `"hosts_owner":"10.10.1.30: load_balancer app/pub-alb/1234567890abcdef (pub-alb) eni-0aa00000000000004 subnet-0aa00000000000001 vpc-0aa00000000000001 sg-0aa00000000000003"`) {
		t.Fatalf("ioc output:\n%s", out)
	}
	// investigate: owners in the interfaces and peers sections and in the JSON document.
	out = mustRun(t, "investigate", "10.10.1.30", "--section", "interfaces", "--format", "csv")
	if !strings.Contains(out, ",load_balancer app/pub-alb/1234567890abcdef (pub-alb) sg-0aa00000000000003\n") {
		t.Fatalf("investigate interfaces:\n%s", out)
	}
	out = mustRun(t, "investigate", "192.0.2.66", "--section", "peers", "--format", "json")
	if !strings.Contains(out, `"peer_owner":"load_balancer app/pub-alb/1234567890abcdef (pub-alb) eni-0aa00000000000004`) {
		t.Fatalf("investigate peers:\n%s", out)
	}
	out = mustRun(t, "investigate", "10.10.1.30", "--format", "json")
	var whole map[string]any
	if err := json.Unmarshal([]byte(out), &whole); err != nil {
		t.Fatal(err)
	}
	invm, _ := whole["inventory"].(map[string]any)
	ifs, _ := invm["interfaces"].(map[string]any)
	if _, ok := ifs["eni-0aa00000000000004"]; !ok {
		t.Fatalf("investigate json inventory: %v", whole["inventory"])
	}
	// detect: the VPC CIDRs join the internal ranges.
	c, err := store.Open(context.Background(), caseDir, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	vpcs, err := casework.VPCInternal(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range vpcs {
		got = append(got, r.Prefix.String()+" "+r.Label)
	}
	if !strings.Contains(strings.Join(got, "|"), "2600:1f18:100:a00::/56 inventory vpc-0aa00000000000001") || len(got) != 5 {
		t.Fatalf("internal: %v", got)
	}
}
