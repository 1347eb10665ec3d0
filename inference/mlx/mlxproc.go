package mlx

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"sync"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/procgroup"
	"github.com/narrator-dev/narrator/internal/ratelog"
)

// procSpec says how to start a worker process.
type procSpec struct {
	python string
	args   []string
	env    []string // the full environment
	log    *slog.Logger
	// stderr, when set, receives the worker's stderr as is (setup shows download progress);
	// otherwise each line is logged at debug level (known failures at warn).
	stderr  io.Writer
	garbage *bus.Counter // counts stdout lines that are not events
	// garbageLog rate-limits the warnings about them, across restarts. Default: a new limiter.
	garbageLog *ratelog.Limiter
}

// workerProc is one running worker process: its events, its stdin writer and its exit.
type workerProc struct {
	cmd    *exec.Cmd
	cancel context.CancelFunc // kills the process group while it runs
	pid    int
	events chan workerEvent // closed when stdout ends
	exited chan struct{}    // closed once the process has been waited for
	lines  chan []byte      // to the stdin writer
	quit   chan struct{}    // closed by stop: nobody reads events any more
	tail   *procgroup.Tail
	log    *slog.Logger
	// garbageLog says that stdout had lines that are not events, at most once per interval.
	garbageLog *ratelog.Limiter

	mu      sync.Mutex
	exitErr error
	stopped bool
}

// stderrTailLines is how many stderr lines are kept to explain a crash.
const stderrTailLines = 20

// startProc starts the worker in its own process group.
func startProc(spec procSpec) (*workerProc, error) {
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, spec.python, spec.args...) // cancel kills the process group
	cmd.Env = spec.env
	procgroup.Own(cmd)
	cmd.WaitDelay = 2 * time.Second // never wait forever for a grandchild holding stderr
	p := &workerProc{
		cmd:    cmd,
		cancel: cancel,
		events: make(chan workerEvent, 64),
		exited: make(chan struct{}),
		lines:  make(chan []byte, 4),
		quit:   make(chan struct{}),
		tail:   &procgroup.Tail{Lines: stderrTailLines},
		log:    spec.log,

		garbageLog: spec.garbageLog,
	}
	if p.garbageLog == nil {
		p.garbageLog = ratelog.New(spec.log, ratelog.DefaultEvery)
	}
	if spec.stderr != nil {
		cmd.Stderr = io.MultiWriter(spec.stderr, p.tail)
	} else {
		p.tail.OnLine = func(line string) {
			if _, known := classifyFailure(line); known {
				spec.log.Warn("worker stderr", "line", line)
			} else {
				spec.log.Debug("worker stderr", "line", line)
			}
		}
		cmd.Stderr = p.tail
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("worker stdin: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("worker stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("start %s: %w", spec.python, err)
	}
	p.pid = cmd.Process.Pid
	go p.writeLines(stdin)
	go func() {
		p.readEvents(stdout, spec.garbage)
		err := cmd.Wait()
		p.mu.Lock()
		p.exitErr = err
		p.mu.Unlock()
		close(p.exited)
	}()
	return p, nil
}

// writeLines writes queued request lines to stdin until the queue closes or a write fails.
func (p *workerProc) writeLines(stdin io.WriteCloser) {
	defer func() { _ = stdin.Close() }()
	for line := range p.lines {
		if _, err := stdin.Write(line); err != nil {
			for range p.lines { // the process is gone; drain until stop closes the queue
			}
			return
		}
	}
}

// send queues a line for the worker's stdin; it never blocks on a stalled worker for longer
// than the worker takes to die.
func (p *workerProc) send(line []byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return false
	}
	select {
	case p.lines <- line:
		return true
	default:
		return false
	}
}

// readEvents turns stdout lines into events; other lines are counted and logged, not fatal.
func (p *workerProc) readEvents(stdout io.Reader, garbage *bus.Counter) {
	defer close(p.events)
	r := bufio.NewReaderSize(stdout, 64<<10)
	var long []byte // a line longer than the buffer, so far
	tooLong := false
	for {
		chunk, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(long)+len(chunk) > maxEventLine {
				tooLong, long = true, long[:0]
			} else if !tooLong {
				long = append(long, chunk...)
			}
			continue
		}
		line := chunk
		if len(long) > 0 {
			line = append(long, chunk...)
			long = nil
		}
		switch {
		case tooLong:
			tooLong = false
			garbage.Add(1)
			p.garbageLog.Warn("worker wrote a line that is not a protocol event; ignored", "err", "longer than 1 MiB")
		case len(bytes.TrimSpace(line)) > 0:
			ev, perr := parseEvent(line)
			if perr != nil {
				garbage.Add(1)
				p.garbageLog.Warn("worker wrote a line that is not a protocol event; ignored", "err", perr)
				break
			}
			select {
			case p.events <- ev:
			case <-p.quit:
			}
		}
		if err != nil {
			return
		}
	}
}

// exitError is how the process ended, once exited is closed.
func (p *workerProc) exitError() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exitErr
}

// stop asks the worker to shut down, waits up to grace, then kills its whole process group.
// It returns once the process has been waited for.
func (p *workerProc) stop(grace time.Duration) {
	if grace > 0 {
		p.send(controlLine("shutdown", ""))
	}
	p.mu.Lock()
	if !p.stopped {
		p.stopped = true
		close(p.lines)
		close(p.quit)
	}
	p.mu.Unlock()
	if grace > 0 {
		select {
		case <-p.exited:
		case <-time.After(grace):
		}
	}
	// Kill the group even after a clean exit: it takes any children the worker left with it.
	if err := procgroup.Kill(p.cmd); err != nil {
		p.log.Warn("kill worker process group", "pid", p.pid, "err", err)
	}
	p.cancel()
	<-p.exited
}

// lastWords is the worker's last stderr lines, joined, to explain a crash.
func (p *workerProc) lastWords() string { return p.tail.String() }
