package inventory

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ProwlerFinding is one check result of Prowler (or any Security Hub ASFF
// finding), normalised from whichever output format it came in: Prowler 3's
// JSON array, Prowler 4/5's JSON-OCSF, ASFF (Prowler's json-asff or Security
// Hub's get-findings), or Prowler 2's one-object-per-line JSON.
type ProwlerFinding struct {
	Meta             `json:"-"`
	UID              string   `json:"uid"`
	Format           string   `json:"format"` // prowler-json, ocsf, asff, prowler2
	CheckID          string   `json:"check_id"`
	Title            string   `json:"title,omitempty"`
	Status           string   `json:"status"` // PASS, FAIL, MANUAL, INFO, ...
	StatusExtended   string   `json:"status_extended,omitempty"`
	Severity         string   `json:"severity,omitempty"`
	Service          string   `json:"service,omitempty"`
	ResourceType     string   `json:"resource_type,omitempty"`
	ResourceID       string   `json:"resource_id,omitempty"`
	ResourceARN      string   `json:"resource_arn,omitempty"`
	Region           string   `json:"region,omitempty"`
	Account          string   `json:"account,omitempty"`
	Categories       []string `json:"categories,omitempty"`
	InternetExposure bool     `json:"internet_exposure"`
}

// Failed reports whether the check failed (the resource is in the state the
// check warns about).
func (p *ProwlerFinding) Failed() bool {
	s := strings.ToUpper(p.Status)
	return s == "FAIL" || s == "FAILED"
}

// exposureWords mark checks about reachability from the internet when the
// finding carries no categories (Prowler 2, ASFF).
var exposureWords = []string{"internet", "0.0.0.0/0", "::/0", "public", "exposed"}

// classify sets InternetExposure: Prowler's "internet-exposed" category when
// the finding has categories, else the words of its check id and title.
func (p *ProwlerFinding) classify() {
	for _, c := range p.Categories {
		if strings.EqualFold(c, "internet-exposed") {
			p.InternetExposure = true
			return
		}
	}
	if len(p.Categories) > 0 {
		return
	}
	text := strings.ToLower(p.CheckID + " " + p.Title)
	for _, w := range exposureWords {
		if strings.Contains(text, w) {
			p.InternetExposure = true
			return
		}
	}
}

var portInCheck = regexp.MustCompile(`port_(\d{1,5})(?:_|$)`)

// Port returns the port a check is about when its id names one
// (ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22).
func (p *ProwlerFinding) Port() (int, bool) {
	m := portInCheck.FindAllStringSubmatch(p.CheckID, -1)
	if len(m) == 0 {
		return 0, false
	}
	n, err := strconv.Atoi(m[len(m)-1][1])
	if err != nil || n > 65535 {
		return 0, false
	}
	return n, true
}

var awsIDPattern = regexp.MustCompile(`\b(?:sg|i|eni|eipalloc|nat|igw|subnet|vpc|acl|rtb|vpce|pcx)-[0-9a-f]{8,17}\b`)

// ResourceIDs returns the AWS resource ids named by the finding's resource id
// and ARN (sg-..., i-..., eni-..., ...).
func (p *ProwlerFinding) ResourceIDs() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range []string{p.ResourceID, p.ResourceARN} {
		for _, id := range awsIDPattern.FindAllString(s, -1) {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}

func (inv *Inventory) addProwler(f ProwlerFinding) error {
	f.classify()
	if f.UID == "" {
		h := sha256.Sum256([]byte(f.Format + "\x00" + f.CheckID + "\x00" + f.Account + "\x00" + f.Region + "\x00" + f.ResourceID + "\x00" + f.ResourceARN + "\x00" + f.StatusExtended))
		f.UID = "flowir-" + hex.EncodeToString(h[:12])
	}
	body, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return kindByName["prowler_finding"].add(inv, body, f.Meta)
}

// importProwlerArray reads a JSON array of findings in any supported format.
// An empty array is no error and adds nothing.
func (inv *Inventory) importProwlerArray(name string, doc json.RawMessage, meta Meta) (int, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(doc, &items); err != nil {
		return 0, fmt.Errorf("%s: %v", name, err)
	}
	n := 0
	for i, it := range items {
		var top map[string]json.RawMessage
		if err := json.Unmarshal(it, &top); err != nil {
			return 0, fmt.Errorf("%s: item %d: %v", name, i+1, err)
		}
		f, ok, err := prowlerObject(top, it)
		if err != nil {
			return 0, fmt.Errorf("%s: item %d: %v", name, i+1, err)
		}
		if !ok {
			keys := make([]string, 0, len(top))
			for k := range top {
				keys = append(keys, k)
			}
			return 0, fmt.Errorf("%s: item %d of the array is not a Prowler or ASFF finding (keys %s): flowir reads arrays only as Prowler output", name, i+1, strings.Join(keys, ", "))
		}
		f.Meta = meta
		if err := inv.addProwler(f); err != nil {
			return 0, fmt.Errorf("%s: item %d: %v", name, i+1, err)
		}
		n++
	}
	return n, nil
}

// prowlerObject recognises one finding object; ok is false when it is none.
func prowlerObject(top map[string]json.RawMessage, raw json.RawMessage) (ProwlerFinding, bool, error) {
	switch {
	case top["CheckID"] != nil && top["Status"] != nil:
		var v struct {
			FindingUniqueId string   `json:"FindingUniqueId"`
			CheckID         string   `json:"CheckID"`
			CheckTitle      string   `json:"CheckTitle"`
			Status          string   `json:"Status"`
			StatusExtended  string   `json:"StatusExtended"`
			Severity        string   `json:"Severity"`
			ServiceName     string   `json:"ServiceName"`
			ResourceType    string   `json:"ResourceType"`
			ResourceId      string   `json:"ResourceId"`
			ResourceArn     string   `json:"ResourceArn"`
			Region          string   `json:"Region"`
			AccountId       string   `json:"AccountId"`
			Categories      []string `json:"Categories"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return ProwlerFinding{}, false, err
		}
		return ProwlerFinding{UID: v.FindingUniqueId, Format: "prowler-json", CheckID: v.CheckID, Title: v.CheckTitle,
			Status: v.Status, StatusExtended: v.StatusExtended, Severity: v.Severity, Service: v.ServiceName,
			ResourceType: v.ResourceType, ResourceID: v.ResourceId, ResourceARN: v.ResourceArn, Region: v.Region,
			Account: v.AccountId, Categories: v.Categories}, true, nil
	case top["status_code"] != nil && top["finding_info"] != nil:
		var v struct {
			StatusCode   string `json:"status_code"`
			StatusDetail string `json:"status_detail"`
			Message      string `json:"message"`
			Severity     string `json:"severity"`
			FindingInfo  struct {
				UID   string `json:"uid"`
				Title string `json:"title"`
			} `json:"finding_info"`
			Metadata struct {
				EventCode string `json:"event_code"`
			} `json:"metadata"`
			Resources []struct {
				UID    string `json:"uid"`
				Name   string `json:"name"`
				Type   string `json:"type"`
				Region string `json:"region"`
				Group  struct {
					Name string `json:"name"`
				} `json:"group"`
			} `json:"resources"`
			Cloud struct {
				Region  string `json:"region"`
				Account struct {
					UID string `json:"uid"`
				} `json:"account"`
			} `json:"cloud"`
			Unmapped struct {
				Categories []string `json:"categories"`
			} `json:"unmapped"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return ProwlerFinding{}, false, err
		}
		f := ProwlerFinding{UID: v.FindingInfo.UID, Format: "ocsf", CheckID: v.Metadata.EventCode, Title: v.FindingInfo.Title,
			Status: v.StatusCode, StatusExtended: v.StatusDetail, Severity: v.Severity, Region: v.Cloud.Region,
			Account: v.Cloud.Account.UID, Categories: v.Unmapped.Categories}
		if f.StatusExtended == "" {
			f.StatusExtended = v.Message
		}
		if len(v.Resources) > 0 {
			r := v.Resources[0]
			f.ResourceID, f.ResourceType, f.Service = r.Name, r.Type, r.Group.Name
			if strings.HasPrefix(r.UID, "arn:") {
				f.ResourceARN = r.UID
			} else if f.ResourceID == "" {
				f.ResourceID = r.UID
			}
			if r.Region != "" {
				f.Region = r.Region
			}
		}
		return f, true, nil
	case top["SchemaVersion"] != nil && top["GeneratorId"] != nil:
		var v struct {
			Id           string `json:"Id"`
			GeneratorId  string `json:"GeneratorId"`
			Title        string `json:"Title"`
			Description  string `json:"Description"`
			AwsAccountId string `json:"AwsAccountId"`
			Region       string `json:"Region"`
			Severity     struct {
				Label string `json:"Label"`
			} `json:"Severity"`
			Compliance struct {
				Status string `json:"Status"`
			} `json:"Compliance"`
			Resources []struct {
				Id     string `json:"Id"`
				Type   string `json:"Type"`
				Region string `json:"Region"`
			} `json:"Resources"`
			ProductFields map[string]string `json:"ProductFields"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return ProwlerFinding{}, false, err
		}
		f := ProwlerFinding{UID: v.Id, Format: "asff", CheckID: strings.TrimPrefix(v.GeneratorId, "prowler-"), Title: v.Title,
			Status: v.Compliance.Status, StatusExtended: v.Description, Severity: v.Severity.Label,
			Region: v.Region, Account: v.AwsAccountId}
		if f.Status == "" {
			f.Status = "FAILED" // a Security Hub finding without compliance status reports a problem
		}
		if len(v.Resources) > 0 {
			r := v.Resources[0]
			f.ResourceType = r.Type
			if strings.HasPrefix(r.Id, "arn:") {
				f.ResourceARN = r.Id
			} else {
				f.ResourceID = r.Id
			}
			if r.Region != "" {
				f.Region = r.Region
			}
		}
		if c := v.ProductFields["Categories"]; c != "" {
			f.Categories = strings.Split(c, ",")
		}
		return f, true, nil
	case top["Control ID"] != nil && top["Status"] != nil:
		var v map[string]any
		if err := json.Unmarshal(raw, &v); err != nil {
			return ProwlerFinding{}, false, err
		}
		s := func(k string) string { x, _ := v[k].(string); return x }
		return ProwlerFinding{Format: "prowler2", CheckID: s("Control ID"), Title: s("Control"), Status: s("Status"),
			StatusExtended: s("Message"), Severity: s("Severity"), Service: s("Service"), ResourceID: s("Resource ID"),
			Region: s("Region"), Account: s("Account Number")}, true, nil
	}
	return ProwlerFinding{}, false, nil
}
