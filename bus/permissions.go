package bus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"golang.org/x/crypto/bcrypt"
)

// Steering the narrator is a separate permission from reading it when the embedded server has a
// control user (ServerConfig.ControlUser, --control-user): the ordinary user (--user) may then
// read every subject and publish pipeline events (frames, descriptions, sources, stats: what
// split capture and inference processes publish), but not on ControlSubjects nor write the
// history (HistoryWriteSubjects); the control user may do everything, and the narrator's own
// in-process connections use it.

// ControlSubjects are the subjects that steer the narrator: user controls (describe now,
// pause, stop, ask), describe requests, the model's prompt, speech control and speech settings,
// and utterances (what it says). With a control user, only that user may publish on them.
var ControlSubjects = []string{
	SubjectControl, SubjectControl + ".>",
	SubjectDescribe,
	SubjectPrompt,
	SubjectSpeechControl,
	SubjectSpeechSettings,
	SubjectUtterances,
}

// HistoryWriteSubjects are the subjects that write or administer the history the narrator
// keeps (its stream, its latest-description bucket and the JetStream API calls that create,
// change, purge or delete streams and messages). Reading the history (consumers, direct gets,
// stream info) stays open to the ordinary user.
var HistoryWriteSubjects = []string{
	HistoryPrefix + ".>",
	"$KV." + LatestBucket + ".>",
	"$JS.API.STREAM.CREATE.>",
	"$JS.API.STREAM.UPDATE.>",
	"$JS.API.STREAM.DELETE.>",
	"$JS.API.STREAM.PURGE.>",
	"$JS.API.STREAM.MSG.DELETE.>",
	"$JS.API.STREAM.RESTORE.>",
	"$JS.API.ACCOUNT.PURGE.>",
}

// Access modes, as AccessMode names them (the start-up log and `narrator doctor`).
const (
	AccessInProcess = "in-process only"
	AccessOpen      = "open"
	AccessShared    = "one credential"
	AccessControl   = "separate control user"
)

// AccessMode says who may do what on the bus c configures, in one line: the mode (one of the
// Access* constants) and what it means.
func (c ServerConfig) AccessMode() (mode, detail string) {
	switch {
	case c.ControlUser != "":
		return AccessControl, fmt.Sprintf("user %q reads and publishes pipeline events; only user %q may steer (%s) or write the history",
			c.Auth.User, c.ControlUser, strings.Join(controlNames(), ", "))
	case c.Listen == "":
		return AccessInProcess, "no port: only stages in this process use the bus"
	case c.Auth.Token == "" && c.Auth.User == "":
		return AccessOpen, OpenBusAllows
	}
	return AccessShared, "every client with the token or password may read and steer (add --control-user to make steering a separate permission)"
}

// controlNames are ControlSubjects without the wildcard rows, for messages.
func controlNames() []string {
	var names []string
	for _, s := range ControlSubjects {
		if !strings.HasSuffix(s, ">") {
			names = append(names, s)
		}
	}
	return names
}

// validateControl refuses a control user that would not separate anything.
func (c ServerConfig) validateControl() error {
	switch {
	case c.ControlUser == "" && c.ControlPassword != "":
		return errors.New("bus: --control-password needs --control-user (env NARRATOR_NATS_CONTROL_USER)")
	case c.ControlUser == "":
		return nil
	case c.ControlPassword == "":
		return errors.New("bus: --control-user needs --control-password (env NARRATOR_NATS_CONTROL_PASSWORD)")
	case c.Auth.Token != "":
		return errors.New("bus: --control-user works with --user and --password, not --token: readers then log in as --user")
	case c.Auth.User == "":
		return errors.New("bus: --control-user needs --user and --password for the clients that only read")
	case c.Auth.User == c.ControlUser:
		return errors.New("bus: --control-user must differ from --user")
	}
	return nil
}

// usersOptions sets the server's users when there is a control user: the ordinary user with
// the publish denials, the control user with every permission. The server is given bcrypt
// hashes of the passwords (nats-server warns about plain ones in a users list); the lowest cost
// is enough, since this process holds the plain passwords anyway, and keeps each login cheap.
func (c ServerConfig) usersOptions(opts *server.Options) error {
	if c.ControlUser == "" {
		return nil
	}
	hash := func(pw string) (string, error) {
		h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		if err != nil {
			return "", fmt.Errorf("bus: hash a password: %w", err)
		}
		return string(h), nil
	}
	userPW, err := hash(c.Auth.Password)
	if err != nil {
		return err
	}
	controlPW, err := hash(c.ControlPassword)
	if err != nil {
		return err
	}
	opts.Username, opts.Password = "", ""
	opts.Users = []*server.User{
		{Username: c.Auth.User, Password: userPW, Permissions: &server.Permissions{
			Publish: &server.SubjectPermission{Deny: append(append([]string(nil), ControlSubjects...), HistoryWriteSubjects...)},
		}},
		{Username: c.ControlUser, Password: controlPW},
	}
	return nil
}

// ErrNotPermitted is returned by RequestEvent when the server refused the request because this
// connection's user may not publish on its subject (see ControlSubjects).
var ErrNotPermitted = errors.New("the bus does not let this user publish there")

// refusals tells the requests in flight on a connection that the server refused to let it
// publish on their subject: nats-server answers a refused publish with an error, not by
// dropping the connection, so without this the request would wait out its whole timeout.
type refusals struct {
	mu      sync.Mutex
	waiting map[*refusalWait]struct{}
}

type refusalWait struct {
	subject string
	cancel  context.CancelCauseFunc
}

// watch returns ctx, ended with an ErrNotPermitted cause when the server refuses a publish on
// subject, and the function that stops watching.
func (r *refusals) watch(ctx context.Context, subject string) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	w := &refusalWait{subject: subject, cancel: cancel}
	r.mu.Lock()
	if r.waiting == nil {
		r.waiting = map[*refusalWait]struct{}{}
	}
	r.waiting[w] = struct{}{}
	r.mu.Unlock()
	return ctx, func() {
		r.mu.Lock()
		delete(r.waiting, w)
		r.mu.Unlock()
		cancel(nil)
	}
}

// refused ends the watches of the subject a permissions violation names; it reports whether
// err was a refused publish.
func (r *refusals) refused(err error) bool {
	if !errors.Is(err, nats.ErrPermissionViolation) {
		return false
	}
	msg := err.Error()
	i := strings.Index(msg, `Publish to "`)
	if i < 0 {
		return false
	}
	subject, _, _ := strings.Cut(msg[i+len(`Publish to "`):], `"`)
	r.mu.Lock()
	defer r.mu.Unlock()
	for w := range r.waiting {
		if w.subject == subject {
			w.cancel(fmt.Errorf("request %s: %w: steering needs the control user (the --user and --password of the narrator's --control-user)", subject, ErrNotPermitted))
		}
	}
	return true
}
