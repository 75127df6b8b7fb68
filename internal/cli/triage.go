package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowir/flowir/internal/casework"
	"github.com/flowir/flowir/internal/output"
	"github.com/flowir/flowir/internal/store"
	"github.com/flowir/flowir/internal/triage"
)

// Triage: flowir note, flowir tag, flowir findings status and flowir triage
// write and read the case's triage log (package triage); every findings
// output shows the state it folds to.

// triageHeadColumns follow a finding's id; triageTailColumns end its row.
var (
	triageHeadColumns = []output.Column{{Name: "status"}, {Name: "tags", Type: "VARCHAR[]"}}
	triageTailColumns = []output.Column{{Name: "notes"}, {Name: "status_by"}, {Name: "status_at", Type: "TIMESTAMP"}}
)

// triageView is the triage state of a case, as findings outputs show it.
// A nil *triageView shows every finding open, untagged, without notes.
type triageView struct {
	states map[string]*triage.State
	// structured: notes as a list of {text, author, at} (JSON, NDJSON);
	// else one text (table, CSV, TSV).
	structured bool
}

func loadTriage(ctx context.Context, c *store.Case, format output.Format) (*triageView, error) {
	log, err := c.Triage(ctx)
	if err != nil {
		return nil, err
	}
	return &triageView{states: triage.Fold(log), structured: format == output.FormatJSON || format == output.FormatNDJSON}, nil
}

// finding is the state of finding id.
func (tv *triageView) finding(id string) triage.State {
	if tv == nil {
		return triage.FindingState(nil, id)
	}
	return triage.FindingState(tv.states, id)
}

// cells are the values of triageHeadColumns and triageTailColumns for
// finding id.
func (tv *triageView) cells(id string) (head, tail []any) {
	s := tv.finding(id)
	return []any{s.Status, tagList(s.Tags)}, []any{tv.notes(s.Notes), nullString(s.StatusBy), nullTime(s.StatusAt)}
}

func (tv *triageView) notes(ns []triage.Note) any {
	if len(ns) == 0 {
		return nil
	}
	if tv == nil || !tv.structured {
		return triage.NoteText(ns)
	}
	out := make([]any, len(ns))
	for i, n := range ns {
		out[i] = map[string]any{"text": n.Text, "author": n.Author, "at": n.At.UTC()}
	}
	return out
}

func tagList(tags []string) any {
	out := make([]any, len(tags))
	for i, t := range tags {
		out[i] = t
	}
	return out
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// TriageOptions are the options of flowir note, tag and findings status.
type TriageOptions struct {
	Subject string
	Values  []string // the note's words, the tags, the status
	Author  string
	Remove  bool   // tag: remove the tags
	Custom  bool   // tag: allow tags outside the vocabulary
	Note    string // findings status: a note with the status
}

const subjectHelp = `SUBJECT is a finding id (as every findings output prints it, or a unique
prefix of at least 4 of its digits, or its ASFF Id) or an IP address or CIDR
network (IPv4 or IPv6; kept in canonical form, so ::ffff:10.0.0.5 is
10.0.0.5 and 10.0.0.7/24 is 10.0.0.0/24). An address needs no finding.`

const authorHelp = `Every entry records who made it (--author, else $USER; one is required)
and when (UTC). Triage is an append-only log in the case (table triage):
nothing is ever changed or deleted, a later entry supersedes an earlier one,
and 'flowir triage' prints the whole history. A finding's triage is keyed
by its stable id, so it survives a rerun of 'flowir detect' that finds it
again.`

func statusDocs() string {
	var b strings.Builder
	for _, t := range triage.Statuses {
		fmt.Fprintf(&b, "  %-15s %s (ASFF workflow %s)\n", t.Name, t.Doc, t.Workflow)
	}
	return b.String()
}

func tagDocs() string {
	var b strings.Builder
	for _, t := range triage.Tags {
		fmt.Fprintf(&b, "  %-18s %s\n", t.Name, t.Doc)
	}
	return b.String()
}

func addAuthorFlag(cmd *cobra.Command, opts *TriageOptions) {
	cmd.Flags().StringVar(&opts.Author, "author", "", "who makes the entry (default $USER)")
}

func newNoteCmd(f *Factory, g *globalOptions, runF func(*TriageOptions) error) *cobra.Command {
	opts := &TriageOptions{}
	cmd := &cobra.Command{
		Use:   "note SUBJECT TEXT...",
		Short: "Add a note to a finding or an address",
		Long: `Add a free-text note to a finding or an address (the words of TEXT joined
by spaces). Notes are shown, with who wrote them and when, in the notes
column of every findings output (flowir findings, detect, findings show,
investigate) and in 'flowir investigate' of the address; the newest note on
a finding is its ASFF Note.

` + subjectHelp + `

` + authorHelp,
		Example: `  flowir note 0e3959b8ee48 "login succeeded at 16:16, see INC-7"
  flowir note 203.0.113.200 exfiltration destination, blocked at the NACL 02:10 UTC --author alice`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usagef("note needs a finding id or an address, then the note's text")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Subject, opts.Values = args[0], args[1:]
			if runF != nil {
				return runF(opts)
			}
			text := strings.TrimSpace(strings.Join(opts.Values, " "))
			return runTriage(cmd.Context(), f, g, opts, func(kind, subject string) ([]triage.Entry, error) {
				return []triage.Entry{{Kind: kind, Subject: subject, Action: triage.ActionNote, Value: text}}, nil
			})
		},
	}
	addAuthorFlag(cmd, opts)
	return cmd
}

func newTagCmd(f *Factory, g *globalOptions, runF func(*TriageOptions) error) *cobra.Command {
	opts := &TriageOptions{}
	cmd := &cobra.Command{
		Use:   "tag SUBJECT TAG...",
		Short: "Tag a finding or an address (compromised, malicious, benign, ...)",
		Long: `Tag a finding or an address; --remove takes the tags off. Tags are shown
in the tags column of every findings output and in 'flowir investigate' of
the address; 'flowir findings --tag TAG' lists the findings with a tag.

Tags:
` + tagDocs() + `
Any other tag needs --custom (so that a typo does not start a tag no filter
finds): a lower-case word of letters, digits and . _ : - (e.g. ticket:inc-7).
A finding's review status is not a tag: 'flowir findings status ID STATUS'.

` + subjectHelp + `

` + authorHelp,
		Example: `  flowir tag 10.18.10.87 compromised
  flowir tag 203.0.113.200 malicious exfil-destination
  flowir tag 0e3959b8ee48 ticket:inc-7 --custom
  flowir tag 203.0.113.200 exfil-destination --remove`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usagef("tag needs a finding id or an address, then one or more tags")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Subject, opts.Values = args[0], args[1:]
			if runF != nil {
				return runF(opts)
			}
			action := triage.ActionTag
			if opts.Remove {
				action = triage.ActionUntag
			}
			var tags []string
			for _, v := range opts.Values {
				t, err := triage.ParseTag(v, opts.Custom || opts.Remove)
				if err != nil {
					return &UsageError{err}
				}
				tags = append(tags, t)
			}
			return runTriage(cmd.Context(), f, g, opts, func(kind, subject string) ([]triage.Entry, error) {
				var out []triage.Entry
				for _, t := range tags {
					out = append(out, triage.Entry{Kind: kind, Subject: subject, Action: action, Value: t})
				}
				return out, nil
			})
		},
	}
	cmd.Flags().BoolVar(&opts.Remove, "remove", false, "take the tags off")
	cmd.Flags().BoolVar(&opts.Custom, "custom", false, "allow tags outside the vocabulary")
	addAuthorFlag(cmd, opts)
	return cmd
}

func newFindingsStatusCmd(f *Factory, g *globalOptions, runF func(*TriageOptions) error) *cobra.Command {
	opts := &TriageOptions{}
	cmd := &cobra.Command{
		Use:   "status ID STATUS",
		Short: "Set a finding's review status (open, confirmed, false-positive, resolved)",
		Long: `Set the review status of a finding, optionally with a note saying why
(--note). Every finding starts open. Statuses:

` + statusDocs() + `
The status is shown in the status column (status_by, status_at: who set it
and when) of every findings output; 'flowir findings --status confirmed'
lists the findings with a status. In ASFF it is the finding's
Workflow.Status; a finding an allow list suppressed is SUPPRESSED until
someone sets a status.

` + findingIDHelp + `

` + authorHelp,
		Example: `  flowir findings status 787f16abac6a confirmed --note "data left via the NAT; INC-7"
  flowir findings status 4cb0 false-positive --note "pentest window, ticket SEC-9" --author bob
  flowir findings --status open`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usagef("findings status needs a finding id and a status (%s)", statusNames())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Subject, opts.Values = args[0], args[1:]
			if runF != nil {
				return runF(opts)
			}
			status, err := triage.ParseStatus(opts.Values[0])
			if err != nil {
				return &UsageError{err}
			}
			if _, ok := triage.Address(opts.Subject); ok {
				return usagef("only findings have a status: %s is an address (tag it instead: 'flowir tag %s TAG')", opts.Subject, opts.Subject)
			}
			return runTriage(cmd.Context(), f, g, opts, func(kind, subject string) ([]triage.Entry, error) {
				out := []triage.Entry{{Kind: kind, Subject: subject, Action: triage.ActionStatus, Value: status}}
				if n := strings.TrimSpace(opts.Note); n != "" {
					out = append(out, triage.Entry{Kind: kind, Subject: subject, Action: triage.ActionNote, Value: n})
				}
				return out, nil
			})
		},
	}
	cmd.Flags().StringVar(&opts.Note, "note", "", "a note saying why, added with the status")
	addAuthorFlag(cmd, opts)
	return cmd
}

func statusNames() string {
	var out []string
	for _, t := range triage.Statuses {
		out = append(out, t.Name)
	}
	return strings.Join(out, ", ")
}

// runTriage resolves the subject, builds its entries with entries, stamps
// them with the author and the time, stores them, and says what it did.
func runTriage(ctx context.Context, f *Factory, g *globalOptions, opts *TriageOptions, entries func(kind, subject string) ([]triage.Entry, error)) error {
	author := strings.TrimSpace(opts.Author)
	if author == "" {
		author = strings.TrimSpace(f.Getenv("USER"))
	}
	if author == "" {
		return usagef("say who makes this entry with --author (no $USER either); the case records who said what")
	}
	c, err := openCase(ctx, f, g, store.Options{})
	if err != nil {
		return err
	}
	defer c.Close()
	kind, subject, what := triage.KindAddress, "", ""
	if a, ok := triage.Address(opts.Subject); ok {
		subject, what = a, a
	} else {
		r, err := casework.FindFinding(ctx, c, opts.Subject)
		if err != nil {
			return err
		}
		kind, subject = triage.KindFinding, r.ID
		what = fmt.Sprintf("finding %s (%s %s)", r.ID, r.Rule, findingPair(r))
	}
	es, err := entries(kind, subject)
	if err != nil {
		return err
	}
	now := f.Now().UTC()
	for i := range es {
		es[i].Author, es[i].At = author, now
		if err := es[i].Check(); err != nil {
			return &UsageError{err}
		}
	}
	if err := c.AddTriage(ctx, es...); err != nil {
		return err
	}
	for _, e := range es {
		fmt.Fprintf(f.IO.ErrOut, "%s: %s %s, by %s at %s\n", what, e.Action, quoteNote(e), author, now.Format(time.RFC3339))
	}
	return nil
}

func quoteNote(e triage.Entry) string {
	if e.Action == triage.ActionNote {
		return fmt.Sprintf("%q", e.Value)
	}
	return e.Value
}

// findingPair is "src -> dst:port", with "many" for a side a finding leaves
// empty.
func findingPair(r store.FindingRow) string {
	src, dst := r.Src, r.Dst
	if src == "" {
		src = "many"
	}
	if dst == "" {
		dst = "many"
	}
	if r.DstPort != nil {
		dst += fmt.Sprintf(":%d", *r.DstPort)
	}
	return src + " -> " + dst
}

// TriageLogOptions are the options of `flowir triage`.
type TriageLogOptions struct {
	Subject string
}

func newTriageCmd(f *Factory, g *globalOptions) *cobra.Command {
	opts := &TriageLogOptions{}
	cmd := &cobra.Command{
		Use:   "triage [SUBJECT]",
		Short: "Print the triage log: every note, tag and status, with who and when",
		Long: `Print the case's triage log (flowir note, flowir tag, flowir findings
status), oldest first: seq, recorded_at (UTC), author, kind (finding or
address), subject, action (note, tag, untag, status) and value. With
SUBJECT (a finding id or prefix, an address or a CIDR), only its entries.`,
		Example: `  flowir triage
  flowir triage 203.0.113.200 --format csv`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if len(args) == 1 {
				opts.Subject = args[0]
			}
			format, c, err := readCase(ctx, f, g)
			if err != nil {
				return err
			}
			defer c.Close()
			// A finding is matched on the log's ids, not the stored
			// findings: the triage of a finding no longer stored is shown too.
			match := func(string) bool { return true }
			if opts.Subject != "" {
				if a, ok := triage.Address(opts.Subject); ok {
					match = func(s string) bool { return s == a }
				} else {
					p, err := casework.FindingPrefix(opts.Subject)
					if err != nil {
						return err
					}
					p = p[:min(len(p), store.FindingIDLen)]
					match = func(s string) bool { return strings.HasPrefix(s, p) }
				}
			}
			log, err := c.Triage(ctx)
			if err != nil {
				return err
			}
			res := &output.Result{Columns: []output.Column{{Name: "seq", Type: "BIGINT"}, {Name: "recorded_at", Type: "TIMESTAMP"}, {Name: "author"},
				{Name: "kind"}, {Name: "subject"}, {Name: "action"}, {Name: "value"}}}
			for _, e := range log {
				if match(e.Subject) {
					res.Rows = append(res.Rows, []any{e.Seq, e.At, e.Author, e.Kind, e.Subject, e.Action, e.Value})
				}
			}
			return output.Write(f.IO.Out, format, res, f.IO.OutputOptions())
		},
	}
	return cmd
}

// filterTriage keeps the findings with one of statuses (none: all) and all
// of tags.
func filterTriage(rows []store.FindingRow, tv *triageView, statuses, tags []string) []store.FindingRow {
	var out []store.FindingRow
	for _, r := range rows {
		s := tv.finding(r.ID)
		if len(statuses) > 0 && !slices.Contains(statuses, s.Status) {
			continue
		}
		if slices.ContainsFunc(tags, func(t string) bool { return !slices.Contains(s.Tags, t) }) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// warnOrphanTriage says which triaged findings are no longer stored: a
// rerun of detect on other records changed their first time seen (so their
// id) or did not find them again. Their triage is kept in the log.
func warnOrphanTriage(ctx context.Context, c *store.Case, f *Factory) error {
	log, err := c.Triage(ctx)
	if err != nil || len(log) == 0 {
		return err
	}
	rows, err := c.Findings(ctx, nil)
	if err != nil {
		return err
	}
	stored := map[string]bool{}
	for _, r := range rows {
		stored[r.ID] = true
	}
	var orphans []string
	for _, e := range log {
		if e.Kind == triage.KindFinding && !stored[e.Subject] && !slices.Contains(orphans, e.Subject) {
			orphans = append(orphans, e.Subject)
		}
	}
	if len(orphans) > 0 {
		fmt.Fprintf(f.IO.ErrOut, "triage of %d findings no longer stored (a detect rerun did not find them again, or their first_seen moved, which changes the id): %s; 'flowir triage ID' prints it\n",
			len(orphans), strings.Join(orphans, ", "))
	}
	return nil
}
