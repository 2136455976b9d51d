// Command wsbench measures Kairos's WebSocket side under load, against a bare
// gorilla/websocket echo server measured in the same run so the figures are
// comparable on a noisy machine.
//
//	wsbench mem  --kairos ./bin/kairos --conns 5000   memory per idle connection
//	wsbench echo --addr 127.0.0.1:0                   the bare echo server (run by mem)
//
// Each server runs as its own process; memory is its resident set size read
// from /proc before and after the connections are opened and idle.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "wsbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: wsbench mem|echo [flags]")
	}
	switch args[0] {
	case "echo":
		fs := flag.NewFlagSet("echo", flag.ContinueOnError)
		addr := fs.String("addr", "127.0.0.1:0", "listen address")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return echo(ctx, *addr)
	case "mem":
		fs := flag.NewFlagSet("mem", flag.ContinueOnError)
		kairos := fs.String("kairos", "./bin/kairos", "kairos binary")
		conns := fs.Int("conns", 5000, "idle connections to open per server")
		settle := fs.Duration("settle", 5*time.Second, "idle time before measuring")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return mem(ctx, *kairos, *conns, *settle)
	}
	return fmt.Errorf("unknown command %q", args[0])
}

// echo is the baseline: the smallest useful gorilla/websocket server, with
// the library's defaults.
func echo(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Println("listening", ln.Addr().String())
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			mt, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(mt, msg); err != nil {
				return
			}
		}
	})}
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

type server struct {
	name string
	cmd  *exec.Cmd
	addr string
	path string // WebSocket path
}

func mem(ctx context.Context, kairosBin string, n int, settle time.Duration) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	data, err := os.MkdirTemp("", "wsbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)

	type result struct {
		name          string
		before, after int64
	}
	var results []result
	for _, spec := range []struct {
		name string
		argv []string
		path string
	}{
		{"echo (bare gorilla/websocket)", []string{self, "echo"}, "/"},
		{"kairos (embedded defaults)", []string{kairosBin, "serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(data, "kairos")}, "/ws"},
	} {
		s, err := start(ctx, spec.name, spec.argv, spec.path)
		if err != nil {
			return err
		}
		before, after, err := measure(ctx, s, n, settle)
		s.cmd.Process.Signal(syscall.SIGTERM)
		s.cmd.Wait()
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		results = append(results, result{s.name, before, after})
	}
	fmt.Printf("\n%d idle WebSocket connections per server (RSS from /proc/<pid>/status)\n\n", n)
	fmt.Printf("| server | RSS before | RSS with %d conns | per connection |\n|---|---|---|---|\n", n)
	per := make([]float64, len(results))
	for i, r := range results {
		per[i] = float64(r.after-r.before) / float64(n)
		fmt.Printf("| %s | %.1f MiB | %.1f MiB | %.1f KiB |\n", r.name, mib(r.before), mib(r.after), per[i]/1024)
	}
	if len(per) == 2 && per[0] > 0 {
		fmt.Printf("\nkairos / echo per-connection ratio: %.2f×\n", per[1]/per[0])
	}
	return nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// start runs a server process and waits for it to report its address: the
// echo server prints "listening ADDR"; kairos logs "addr=ADDR".
func start(ctx context.Context, name string, argv []string, path string) (*server, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "KAIROS_LOG_LEVEL=info")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			if a, ok := strings.CutPrefix(line, "listening "); ok {
				addrc <- a
			}
			if _, rest, ok := strings.Cut(line, " addr="); ok {
				addrc <- strings.Fields(rest)[0]
			}
		}
		io.Copy(io.Discard, out)
	}()
	select {
	case a := <-addrc:
		return &server{name: name, cmd: cmd, addr: a, path: path}, nil
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		return nil, fmt.Errorf("%s did not start", name)
	}
}

// measure opens n connections, lets them idle, and returns the server's
// RSS before and after.
func measure(ctx context.Context, s *server, n int, settle time.Duration) (before, after int64, err error) {
	time.Sleep(2 * time.Second) // let start-up allocations settle
	if before, err = rss(s.cmd.Process.Pid); err != nil {
		return 0, 0, err
	}
	url := "ws://" + s.addr + s.path
	dialer := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024}
	conns := make([]*websocket.Conn, n)
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, _, err := dialer.DialContext(ctx, url, nil)
			if err == nil && s.path == "/ws" {
				// Kairos greets every connection; read the hello so the
				// connection is fully established server-side.
				c.SetReadDeadline(time.Now().Add(30 * time.Second))
				_, _, err = c.ReadMessage()
				c.SetReadDeadline(time.Time{})
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	if firstErr != nil {
		return 0, 0, fmt.Errorf("open connections: %w", firstErr)
	}
	time.Sleep(settle)
	after, err = rss(s.cmd.Process.Pid)
	if s.path == "/ws" {
		printRuntime(s.addr)
	}
	return before, after, err
}

func rss(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v)
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmRSS")
}

// printRuntime shows where a Kairos node's memory is, from its /metrics.
func printRuntime(addr string) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		for _, m := range []string{"go_goroutines ", "go_memstats_heap_inuse_bytes ", "go_memstats_stack_inuse_bytes ", "go_memstats_heap_idle_bytes ", "go_memstats_heap_released_bytes ", "go_memstats_sys_bytes ", "go_memstats_heap_alloc_bytes "} {
			if strings.HasPrefix(line, m) {
				fmt.Println("  kairos", line)
			}
		}
	}
}
