package localaws

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// process is a program started in a process group of its own, so that stopping it also stops
// whatever it started.
type process struct {
	name string
	cmd  *exec.Cmd
	out  *tailBuffer
	done chan struct{} // closed when the program has exited
	err  error         // its exit status, once done is closed
	// started is when the program was started: just before the fork.
	started time.Time
}

// startProcess starts path with args and env (nil: this process's environment).
func startProcess(path string, args, env []string, dir string) (*process, error) {
	cmd := exec.Command(path, args...)
	cmd.Env = env
	cmd.Dir = dir
	out := &tailBuffer{max: 256 << 10}
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = sysProcAttr()
	started := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	p := &process{name: path, cmd: cmd, out: out, done: make(chan struct{}), started: started}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the program has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// output returns the end of what the program wrote to stdout and stderr.
func (p *process) output() string { return p.out.String() }

// stop asks the process group to end (SIGTERM), and kills it after grace. Programs the process
// started in groups of their own (children) are killed after it.
func (p *process) stop(grace time.Duration) {
	children := childGroups(p.cmd.Process.Pid)
	if !p.exited() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(grace):
		}
	}
	// Whatever of the group outlived its leader, or ignored SIGTERM.
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
	for _, pgid := range children {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
}

// tailBuffer keeps the last max bytes written to it; it is safe for concurrent use.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if over := b.buf.Len() - b.max; over > 0 {
		b.buf.Next(over)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// errExited is returned when a program ended while it was expected to serve.
var errExited = errors.New("exited")
