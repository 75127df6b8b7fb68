package awsapi

import "testing"

func TestRedact(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"http://127.0.0.1:9000", "http://127.0.0.1:9000"},
		{"https://user:s3cr3t@minio.lab:9000/", "https://user:xxxxx@minio.lab:9000/"},
		{"https://TOKEN@host/path", "https://xxxxx@host/path"},
		{"https://u:p@ss@host/a@b", "https://u:xxxxx@host/a@b"},
		{"https://u:p%40ss@host?x=a@b", "https://u:xxxxx@host?x=a@b"},
		{`s3://bucket at http://ak:sk@h:1/: Head "http://ak:sk@h:1/bucket": refused`, `s3://bucket at http://ak:xxxxx@h:1/: Head "http://ak:xxxxx@h:1/bucket": refused`},
		{"mail me at someone@example.com", "mail me at someone@example.com"},
		{"s3://bucket/key@2x.log", "s3://bucket/key@2x.log"},
	} {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
