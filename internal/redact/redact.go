// Package redact hides secrets in everything the narrator prints or publishes: the password (or
// a lone user name, often a token) in a URL's userinfo, and the values of query parameters
// named like secrets (token, key, password, signature …). Every URL a log line, an event or an
// error can carry goes through URL or Text first; errors go through Error.
package redact

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Mask replaces every hidden value.
const Mask = "xxxxx"

// secretParams are the substrings that make a query parameter name secret, lower-cased.
var secretParams = []string{"token", "key", "pass", "pwd", "secret", "sig", "auth", "cred", "session", "jwt"}

// IsSecretParam reports whether a query parameter of this name carries a secret.
func IsSecretParam(name string) bool {
	name = strings.ToLower(name)
	for _, s := range secretParams {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

// URL returns u with its secrets masked: a password becomes xxxxx (the user name stays, it
// says which account), a user name without a password (often a token) becomes xxxxx, and so
// does the value of every query parameter named like a secret. A comma-separated list of URLs
// (NATS server lists) has each masked. Text without "://" is left as it is. What is returned
// is cut to MaxURL bytes and the length of u (as Truncate does): it is shown, never used.
func URL(u string) string {
	total := len(u)
	var b strings.Builder
	for b.Len() <= MaxURL { // masking stops once there is more than can be shown
		i := nextURL(u)
		if i == 0 {
			b.WriteString(oneURL(u))
			if b.Len() <= MaxURL {
				return b.String()
			}
			break
		}
		b.WriteString(oneURL(u[:i-1]))
		b.WriteByte(',')
		u = u[i:]
	}
	return cut(b.String(), MaxURL, total)
}

// MaxURL bounds the length of a URL (or list of URLs) as shown in logs, events and errors.
const MaxURL = 512

// nextURL returns where a second URL starts in a comma-separated list ("…,scheme://…"), or 0.
func nextURL(u string) int {
	first := strings.Index(u, "://")
	if first < 0 {
		return 0
	}
	for i := first + 3; ; {
		j := strings.Index(u[i:], "://")
		if j < 0 {
			return 0
		}
		k := i + j // the second "://"; walk back over the scheme to a comma
		start := k
		for start > 0 && isSchemeByte(u[start-1]) {
			start--
		}
		if start < k && start > 0 && u[start-1] == ',' {
			return start
		}
		i = k + 3
	}
}

func isSchemeByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '+' || b == '-' || b == '.'
}

// oneURL masks the secrets of a single URL.
func oneURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok || scheme == "" {
		return u
	}
	// The authority ends at the first '/', '?' or '#'; userinfo is what precedes its last '@'.
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		user, _, hasPass := strings.Cut(authority[:at], ":")
		if hasPass {
			authority = user + ":" + Mask + authority[at:]
		} else {
			authority = Mask + authority[at:]
		}
	}
	return scheme + "://" + authority + query(tail)
}

// query masks the values of secret parameters in the path-query-fragment tail of a URL, leaving
// everything else byte for byte as it was.
func query(tail string) string {
	path, q, ok := strings.Cut(tail, "?")
	if !ok {
		return tail
	}
	q, frag, hasFrag := strings.Cut(q, "#")
	parts := strings.Split(q, "&")
	for i, p := range parts {
		name, _, hasValue := strings.Cut(p, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if hasValue && IsSecretParam(name) {
			parts[i] = p[:strings.Index(p, "=")+1] + Mask
		}
	}
	out := path + "?" + strings.Join(parts, "&")
	if hasFrag {
		out += "#" + frag
	}
	return out
}

// urlInText finds URLs in free text: a scheme, "://", and everything up to white space or a
// quote.
var urlInText = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s'"<>` + "`" + `]+`)

// Text masks the secrets of every URL in s (ffmpeg's stderr, an error message), and every
// literal occurrence of the given secrets (passwords known to the caller, in case a program
// prints them decoded or without their URL). Empty secrets are ignored.
func Text(s string, secrets ...string) string {
	s = urlInText.ReplaceAllStringFunc(s, func(u string) string {
		// Punctuation that ends a sentence or a clause is not part of the URL.
		trimmed := strings.TrimRight(u, ".,:;)]}")
		return URL(trimmed) + u[len(trimmed):]
	})
	for _, secret := range secrets {
		if len(secret) >= 3 { // masking every "a" would destroy the message and hide nothing
			s = strings.ReplaceAll(s, secret, Mask)
		}
	}
	return s
}

// Secrets returns the secrets a URL carries (password, lone user name, secret query values),
// decoded and as written, for Text.
func Secrets(u string) []string {
	p, err := url.Parse(u)
	if err != nil {
		return nil
	}
	var out []string
	add := func(raw, decoded string) {
		out = append(out, decoded)
		if raw != decoded {
			out = append(out, raw)
		}
	}
	if p.User != nil {
		if pw, ok := p.User.Password(); ok {
			add(rawPassword(p), pw)
		} else {
			add(p.User.String(), p.User.Username())
		}
	}
	for name, values := range p.Query() {
		if IsSecretParam(name) {
			for _, v := range values {
				add(url.QueryEscape(v), v)
			}
		}
	}
	return out
}

// rawPassword is the password as written in the URL (percent-encoded).
func rawPassword(p *url.URL) string {
	_, pw, _ := strings.Cut(p.User.String(), ":")
	return pw
}

// Error returns err with its message passed through Text (with the given secrets); errors.Is
// and errors.As still see the original chain. A nil err stays nil.
func Error(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := Text(err.Error(), secrets...)
	if msg == err.Error() {
		return err
	}
	return &redacted{msg: msg, err: err}
}

type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }

// Unwrap lets errors.Is and errors.As see the original error. Code that prints an unwrapped
// error prints it unredacted: print the redacted error itself.
func (r *redacted) Unwrap() error { return r.err }

// Truncate shortens s to at most max bytes (cut at a rune boundary) and says how long it was,
// so a 100 KB name echoed in an error stays readable.
func Truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return cut(s, max, len(s))
}

// cut is s shortened to at most max bytes, at a rune boundary, followed by the length of the
// whole it comes from.
func cut(s string, max, total int) string {
	if len(s) > max {
		end := max
		for end > 0 && !utf8.RuneStart(s[end]) {
			end--
		}
		s = s[:end]
	}
	return s + "… (" + strconv.Itoa(total) + " bytes)"
}

// Words truncates every run of non-space characters in s longer than max bytes (Truncate),
// leaving the rest as is: a 100 KB name a user passed is echoed back in an error as its start
// and its length.
func Words(s string, max int) string {
	var b strings.Builder
	start := -1
	flush := func(end int) {
		if start >= 0 {
			b.WriteString(Truncate(s[start:end], max))
			start = -1
		}
	}
	for i, r := range s {
		if unicode.IsSpace(r) {
			flush(i)
			b.WriteRune(r)
		} else if start < 0 {
			start = i
		}
	}
	flush(len(s))
	return b.String()
}
