package userfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "prompt.txt")
	os.WriteFile(small, []byte("Describe the scene."), 0o644)
	big := filepath.Join(dir, "big.txt")
	os.WriteFile(big, make([]byte, 2048), 0o644)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	os.Symlink(small, link)
	cases := []struct {
		path    string
		want    error
		message string
	}{
		{small, nil, ""},
		{link, nil, ""},
		{big, ErrTooLarge, "2048 bytes"},
		{"/dev/zero", ErrNotRegular, "character device"},
		{fifo, ErrNotRegular, "FIFO"},
		{dir, ErrNotRegular, "directory"},
		{filepath.Join(dir, "missing"), os.ErrNotExist, "no such file"},
	}
	for _, c := range cases {
		done := make(chan struct{})
		var data []byte
		var err error
		go func() {
			defer close(done)
			data, err = Read(c.path, 1024)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("Read(%s) hangs", c.path)
		}
		if c.want == nil {
			if err != nil || string(data) != "Describe the scene." {
				t.Errorf("Read(%s) = %q, %v", c.path, data, err)
			}
			continue
		}
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.message) {
			t.Errorf("Read(%s) = %v, want %v saying %q", c.path, err, c.want, c.message)
		}
		if c.want != os.ErrNotExist {
			if _, cerr := Check(c.path); c.want == ErrNotRegular && !errors.Is(cerr, ErrNotRegular) {
				t.Errorf("Check(%s) = %v, want ErrNotRegular", c.path, cerr)
			}
		}
	}
}
