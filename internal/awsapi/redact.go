package awsapi

import (
	"regexp"
	"strings"
)

// userinfo matches the user information of a URL (scheme://USERINFO@host):
// the authority runs to the first '/', '?' or '#', and its last '@' ends the
// user information, so a password holding an unescaped '@' is matched whole.
var userinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://)([^/?#\s"'<>]*)@`)

// Redact returns s with the user information of every URL in it hidden:
// "https://user:pass@host" becomes "https://user:xxxxx@host", as Go's
// url.URL.Redacted writes it, and "https://TOKEN@host" becomes
// "https://xxxxx@host" (a user name alone is often a token). An
// --endpoint-url may carry credentials for an S3-compatible store; flowir
// names the endpoint in errors, notes and the inventory snapshot's origin,
// and the SDK quotes it in its errors, so everything that may hold it goes
// through here (issue 17.18).
func Redact(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return userinfo.ReplaceAllStringFunc(s, func(m string) string {
		sub := userinfo.FindStringSubmatch(m)
		scheme, info := sub[1], sub[2]
		if user, _, ok := strings.Cut(info, ":"); ok {
			return scheme + user + ":xxxxx@"
		}
		return scheme + "xxxxx@"
	})
}
