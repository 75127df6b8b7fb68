package inventory

import (
	"cmp"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// FindingInput is a flowir detection finding in a form independent of the
// case tables: what the AWS Security Finding Format needs.
type FindingInput struct {
	ID string // stable id within the case; the ASFF Id is derived from it
	// Part names the part of a finding whose evidence spans several accounts
	// or Regions ("111122223333/us-east-1"); it makes the ASFF Id unique.
	Part        string
	Detection   string // detection name, e.g. port-scan (the ASFF GeneratorId)
	Title       string
	Description string
	Severity    string // critical, high, medium, low, info(rmational)
	Technique   string // MITRE ATT&CK technique id, e.g. T1046
	Tactic      string // MITRE ATT&CK tactic name, e.g. Discovery
	FirstSeen   time.Time
	LastSeen    time.Time
	Account     string
	Region      string
	Interfaces  []ResourceRef // eni-...
	Instances   []ResourceRef // i-...
	// The network side follows the finding's connections: SrcAddr opened
	// them (the actor), to DstAddr:DstPort (the target).
	SrcAddr   string
	SrcPort   int // 0 when not one port
	DstAddr   string
	DstPort   int    // 0 when not one port
	Protocol  string // tcp, udp, ...
	Direction string // IN or OUT (from the monitored network's side), "" for neither
	Evidence  int64  // number of flow records behind the finding
	// SuppressedBy is the allow-list entry and reason that suppressed the
	// finding ("" when it is not): its workflow status is then SUPPRESSED.
	SuppressedBy string
	// FindingID is the finding's id in the case (flowir findings show ID).
	FindingID string
	// Triage: the analysts' review status (open, confirmed, ...), its
	// ASFF workflow status ("" for none: Workflow then follows
	// SuppressedBy), the tags and the newest note (nil for none).
	Status   string
	Workflow string
	Tags     []string
	Note     *ASFFNote
	Notes    int // how many notes the finding has
}

// ResourceRef is an EC2 resource a finding concerns, in the account and
// Region it lives in ("" for the finding's own).
type ResourceRef struct {
	ID, Account, Region string
}

// ASFFOptions are the account, region and time of an export.
type ASFFOptions struct {
	Account string // default account (the finding's own wins)
	Region  string // default region (the finding's own wins)
	Now     time.Time
	Case    string // case name, part of the finding Id so that cases do not overwrite each other
}

// ASFFFinding is one finding in the AWS Security Finding Format, with the
// fields BatchImportFindings requires and the network details flowir has.
type ASFFFinding struct {
	SchemaVersion   string            `json:"SchemaVersion"`
	Id              string            `json:"Id"`
	ProductArn      string            `json:"ProductArn"`
	GeneratorId     string            `json:"GeneratorId"`
	AwsAccountId    string            `json:"AwsAccountId"`
	Region          string            `json:"Region,omitempty"`
	Types           []string          `json:"Types"`
	CreatedAt       string            `json:"CreatedAt"`
	UpdatedAt       string            `json:"UpdatedAt"`
	FirstObservedAt string            `json:"FirstObservedAt,omitempty"`
	LastObservedAt  string            `json:"LastObservedAt,omitempty"`
	Severity        ASFFSeverity      `json:"Severity"`
	Title           string            `json:"Title"`
	Description     string            `json:"Description"`
	ProductFields   map[string]string `json:"ProductFields,omitempty"`
	Resources       []ASFFResource    `json:"Resources"`
	Network         *ASFFNetwork      `json:"Network,omitempty"`
	Workflow        *ASFFWorkflow     `json:"Workflow,omitempty"`
	Note            *ASFFNote         `json:"Note,omitempty"`
}

// ASFFNote is a user-defined note on a finding: its text (at most 512
// characters), who wrote it and when.
type ASFFNote struct {
	Text      string `json:"Text"`
	UpdatedBy string `json:"UpdatedBy"`
	UpdatedAt string `json:"UpdatedAt"`
}

// ASFFWorkflow is the finding's investigation status (NEW, NOTIFIED,
// RESOLVED, SUPPRESSED).
type ASFFWorkflow struct {
	Status string `json:"Status"`
}

// ASFFSeverity is the finding's severity label.
type ASFFSeverity struct {
	Label    string `json:"Label"`
	Original string `json:"Original,omitempty"`
}

// ASFFResource is a resource a finding concerns.
type ASFFResource struct {
	Type   string `json:"Type"`
	Id     string `json:"Id"`
	Region string `json:"Region,omitempty"`
}

// ASFFNetwork is the network part of a finding.
type ASFFNetwork struct {
	Direction       string `json:"Direction,omitempty"`
	Protocol        string `json:"Protocol,omitempty"`
	SourceIpV4      string `json:"SourceIpV4,omitempty"`
	SourceIpV6      string `json:"SourceIpV6,omitempty"`
	DestinationIpV4 string `json:"DestinationIpV4,omitempty"`
	DestinationIpV6 string `json:"DestinationIpV6,omitempty"`
	DestinationPort *int   `json:"DestinationPort,omitempty"`
	SourcePort      *int   `json:"SourcePort,omitempty"`
}

// ttpCategories are the ASFF "TTPs" categories, by ATT&CK tactic.
var ttpCategories = map[string]string{
	"initial access": "Initial Access", "execution": "Execution", "persistence": "Persistence",
	"privilege escalation": "Privilege Escalation", "defense evasion": "Defense Evasion",
	"credential access": "Credential Access", "discovery": "Discovery", "lateral movement": "Lateral Movement",
	"collection": "Collection", "command and control": "Command and Control",
}

var account12 = regexp.MustCompile(`^\d{12}$`)

// ToASFF converts one finding. The product ARN is the account's default
// product for custom findings (arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default),
// which BatchImportFindings accepts from that account.
func ToASFF(f FindingInput, o ASFFOptions) (ASFFFinding, error) {
	account := f.Account
	if account == "" {
		account = o.Account
	}
	region := f.Region
	if region == "" {
		region = o.Region
	}
	if !account12.MatchString(account) {
		return ASFFFinding{}, fmt.Errorf("finding %s: no AWS account id (12 digits) to report it under: give --account", f.ID)
	}
	if region == "" {
		return ASFFFinding{}, fmt.Errorf("finding %s: no region to report it in: give --region", f.ID)
	}
	now := o.Now.UTC()
	if now.IsZero() {
		now = time.Now().UTC()
	}
	label, orig := severityLabel(f.Severity)
	gen := "flowir/" + f.Detection
	if f.Detection == "" {
		gen = "flowir"
	}
	id := "flowir"
	if o.Case != "" {
		id += "/" + o.Case
	}
	id += "/" + f.ID
	if f.Part != "" {
		id += "/" + f.Part
	}
	a := ASFFFinding{
		SchemaVersion: "2018-10-08",
		Id:            id,
		ProductArn:    fmt.Sprintf("arn:%s:securityhub:%s:%s:product/%s/default", partition(region), region, account, account),
		GeneratorId:   gen,
		AwsAccountId:  account,
		Region:        region,
		Types:         []string{asffType(f)},
		CreatedAt:     ts(f.FirstSeen, now),
		UpdatedAt:     now.Format(time.RFC3339Nano),
		Severity:      ASFFSeverity{Label: label, Original: orig},
		Title:         clip(orDefault(f.Title, f.Detection), 256),
		Description:   clip(orDefault(f.Description, f.Title), 1024),
		ProductFields: map[string]string{"flowir/detection": f.Detection, "flowir/finding_id": cmp.Or(f.FindingID, f.ID)},
	}
	if !f.FirstSeen.IsZero() {
		a.FirstObservedAt = f.FirstSeen.UTC().Format(time.RFC3339Nano)
	}
	if !f.LastSeen.IsZero() {
		a.LastObservedAt = f.LastSeen.UTC().Format(time.RFC3339Nano)
	}
	if f.Technique != "" {
		a.ProductFields["flowir/attack_technique"] = f.Technique
	}
	if f.Part != "" {
		a.ProductFields["flowir/evidence_part"] = f.Part
	}
	if f.Evidence > 0 {
		a.ProductFields["flowir/evidence_records"] = strconv.FormatInt(f.Evidence, 10)
	}
	if f.SuppressedBy != "" {
		a.Workflow = &ASFFWorkflow{Status: "SUPPRESSED"}
		a.ProductFields["flowir/suppressed_by"] = clip(f.SuppressedBy, 1024)
	}
	// The analysts' status wins over the allow list.
	if f.Workflow != "" {
		a.Workflow = &ASFFWorkflow{Status: f.Workflow}
	}
	if f.Status != "" {
		a.ProductFields["flowir/status"] = f.Status
	}
	if len(f.Tags) > 0 {
		a.ProductFields["flowir/tags"] = clip(strings.Join(f.Tags, ","), 1024)
	}
	if f.Note != nil {
		n := *f.Note
		n.Text = clip(n.Text, 512)
		a.Note = &n
	}
	if f.Notes > 0 {
		a.ProductFields["flowir/notes"] = strconv.Itoa(f.Notes)
	}
	// Each resource's ARN names its own account and Region.
	arn := func(r ResourceRef, kind string) ASFFResource {
		acc, reg := cmp.Or(r.Account, account), cmp.Or(r.Region, region)
		return ASFFResource{Region: reg, Id: fmt.Sprintf("arn:%s:ec2:%s:%s:%s/%s", partition(reg), reg, acc, kind, r.ID)}
	}
	ids := append([]ResourceRef(nil), f.Interfaces...)
	sort.Slice(ids, func(i, j int) bool { return ids[i].ID < ids[j].ID })
	for _, eni := range ids {
		r := arn(eni, "network-interface")
		r.Type = "AwsEc2NetworkInterface"
		a.Resources = append(a.Resources, r)
	}
	for _, in := range f.Instances {
		r := arn(in, "instance")
		r.Type = "AwsEc2Instance"
		a.Resources = append(a.Resources, r)
	}
	if len(a.Resources) == 0 {
		// ASFF requires one resource; an address-only finding names the account.
		a.Resources = []ASFFResource{{Type: "AwsAccount", Id: "AWS::::Account:" + account, Region: region}}
	}
	if len(a.Resources) > 32 {
		a.ProductFields["flowir/resources_omitted"] = strconv.Itoa(len(a.Resources) - 32)
		a.Resources = a.Resources[:32]
	}
	n := &ASFFNetwork{Direction: strings.ToUpper(f.Direction), Protocol: strings.ToUpper(f.Protocol)}
	setIP := func(s string, v4, v6 *string) {
		if ip, err := netip.ParseAddr(s); err == nil {
			if ip.Unmap().Is4() {
				*v4 = ip.Unmap().String()
			} else {
				*v6 = ip.String()
			}
		}
	}
	setIP(f.SrcAddr, &n.SourceIpV4, &n.SourceIpV6)
	setIP(f.DstAddr, &n.DestinationIpV4, &n.DestinationIpV6)
	if f.DstPort > 0 {
		p := f.DstPort
		n.DestinationPort = &p
	}
	if f.SrcPort > 0 {
		p := f.SrcPort
		n.SourcePort = &p
	}
	if *n != (ASFFNetwork{Direction: n.Direction, Protocol: n.Protocol}) || n.Direction != "" {
		a.Network = n
	}
	return a, nil
}

func orDefault(s, d string) string {
	if s != "" {
		return s
	}
	if d != "" {
		return d
	}
	return "flowir finding"
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// cut on a rune boundary
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n]
}

func ts(t, now time.Time) string {
	if t.IsZero() {
		return now.Format(time.RFC3339Nano)
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

func severityLabel(s string) (label, original string) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical":
		return "CRITICAL", s
	case "high":
		return "HIGH", s
	case "medium":
		return "MEDIUM", s
	case "low":
		return "LOW", s
	}
	return "INFORMATIONAL", s
}

// asffType classifies a finding in ASFF's namespace/category/classifier form.
func asffType(f FindingInput) string {
	classifier := f.Detection
	if f.Technique != "" {
		classifier = f.Technique
		if f.Detection != "" {
			classifier += " " + f.Detection
		}
	}
	if classifier == "" {
		classifier = "flowir"
	}
	t := strings.ToLower(strings.TrimSpace(f.Tactic))
	if c, ok := ttpCategories[t]; ok {
		return "TTPs/" + c + "/" + classifier
	}
	switch t {
	case "exfiltration":
		return "Effects/Data Exfiltration/" + classifier
	case "impact":
		return "Effects/Resource Consumption/" + classifier
	}
	return "Unusual Behaviors/Network Flow/" + classifier
}
