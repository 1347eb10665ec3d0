package narrator

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/internal/userfile"
)

// TestReadPromptFileRefusesWhatIsNotAPrompt: /dev/zero, a FIFO and a directory are refused at
// once, without reading them, and an oversized file is refused without reading it all.
func TestReadPromptFileRefusesWhatIsNotAPrompt(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.txt")
	os.WriteFile(big, []byte(strings.Repeat("describe ", 4000)), 0o644)
	empty := filepath.Join(dir, "empty.txt")
	os.WriteFile(empty, []byte(" \n"), 0o644)
	good := filepath.Join(dir, "good.txt")
	os.WriteFile(good, []byte("  Name the birds.\n"), 0o644)
	cases := []struct {
		path string
		want string
		is   error
	}{
		{"/dev/zero", "character device", userfile.ErrNotRegular},
		{fifo, "FIFO", userfile.ErrNotRegular},
		{dir, "directory", userfile.ErrNotRegular},
		{big, "the limit is 16384", userfile.ErrTooLarge},
		{empty, "is empty", nil},
	}
	for _, c := range cases {
		done := make(chan error, 1)
		go func() {
			_, err := readPromptFile(c.path)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), c.want) || (c.is != nil && !errors.Is(err, c.is)) {
				t.Errorf("readPromptFile(%s) = %v, want an error saying %q", c.path, err, c.want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("readPromptFile(%s) hangs", c.path)
		}
	}
	if text, err := readPromptFile(good); err != nil || text != "Name the birds." {
		t.Errorf("readPromptFile(good) = %q, %v", text, err)
	}
}
