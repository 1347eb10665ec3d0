package keys

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus/bustest"
	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: the controlling side and the terminal side.
func openPTY(t *testing.T) (control, tty *os.File) {
	t.Helper()
	control, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { control.Close() })
	fd := int(control.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	return control, tty
}

func TestCbreakReadsSingleKeysAndRestores(t *testing.T) {
	control, tty := openPTY(t)
	fd := int(tty.Fd())
	before, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	restore, err := cbreak(fd)
	if err != nil {
		t.Fatal(err)
	}
	during, _ := unix.IoctlGetTermios(fd, unix.TCGETS)
	if during.Lflag&(unix.ICANON|unix.ECHO) != 0 || during.Lflag&unix.ISIG == 0 || during.Oflag != before.Oflag {
		t.Errorf("cbreak lflag %#x oflag %#x: want no ICANON or ECHO, ISIG kept, output unchanged (%#x)", during.Lflag, during.Oflag, before.Oflag)
	}
	buf := make([]byte, 8)
	if n, err := readKeys(fd, buf); n != 0 || err != nil {
		t.Errorf("no key pressed: read %d, %v", n, err)
	}
	control.Write([]byte("p")) // no Enter
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := readKeys(fd, buf)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			if string(buf[:n]) != "p" {
				t.Errorf("read %q, want p", buf[:n])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the key never arrived without Enter")
		}
	}
	restore()
	after, _ := unix.IoctlGetTermios(fd, unix.TCGETS)
	if after.Lflag != before.Lflag || after.Cc != before.Cc {
		t.Errorf("terminal not restored: lflag %#x, want %#x", after.Lflag, before.Lflag)
	}
}

func TestKeysRunRestoresTheTerminalWhenStopped(t *testing.T) {
	_, tty := openPTY(t)
	fd := int(tty.Fd())
	before, _ := unix.IoctlGetTermios(fd, unix.TCGETS)
	var out bustest.SyncBuffer
	k := &Controls{fd: fd, out: &out, log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- k.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for out.String() == "" && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if out.String() != keyHelp+"\n" {
		t.Errorf("keys printed %q at start, want the help", out.String())
	}
	cancel() // as Ctrl-C does
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	after, _ := unix.IoctlGetTermios(fd, unix.TCGETS)
	if after.Lflag != before.Lflag {
		t.Errorf("terminal not restored after Ctrl-C: lflag %#x, want %#x", after.Lflag, before.Lflag)
	}
}
