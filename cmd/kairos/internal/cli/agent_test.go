package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kairoscx/kairos/channels/relay"
)

func runAgent(t *testing.T, input string, args ...string) (string, error) {
	t.Helper()
	old := stdin
	stdin = strings.NewReader(input)
	defer func() { stdin = old }()
	var out, errb bytes.Buffer
	err := agentCmd(context.Background(), Env{Stdout: &out, Stderr: &errb}, args)
	return out.String() + errb.String(), err
}

func TestAgentCommand(t *testing.T) {
	data := t.TempDir()
	out, err := runAgent(t, "s3cret-pass\n", "add", "Alice", "--data", data, "--role", "admin", "--queues", "refunds, general", "--max-chats", "4", "--password-stdin")
	if err != nil || !strings.Contains(out, "agent alice (admin) saved: queues refunds,general, up to 4 chats") {
		t.Fatalf("add: %q, %v", out, err)
	}
	if _, err := runAgent(t, "another-pass\n", "add", "alice", "--data", data); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("adding alice again: %v", err)
	}
	if _, err := runAgent(t, "another-pass\n", "add", "alice", "--data", data, "--replace"); err != nil {
		t.Fatalf("replace: %v", err)
	}
	out, err = runAgent(t, "", "list", "--data", data)
	if err != nil || !strings.Contains(out, "alice") || !strings.Contains(out, "agent") {
		t.Fatalf("list: %q, %v", out, err)
	}
	if _, err := runAgent(t, "", "delete", "alice", "--data", data); err != nil {
		t.Fatal(err)
	}
	if _, err := runAgent(t, "", "delete", "alice", "--data", data); err == nil {
		t.Fatal("deleting a missing agent succeeded")
	}

	bad := []struct {
		input string
		args  []string
	}{
		{"", []string{}},
		{"", []string{"frob"}},
		{"pw-long-enough\n", []string{"add"}},
		{"pw-long-enough\n", []string{"add", "a", "b"}},
		{"pw-long-enough\n", []string{"add", "bob", "--role", "root"}},
		{"short\n", []string{"add", "bob", "--data", data}},
		{"", []string{"add", "bob", "--data", data}},
		{"pw-long-enough\n", []string{"add", "bob", "--queues", "Bad Queue", "--data", data}},
	}
	for _, b := range bad {
		if _, err := runAgent(t, b.input, b.args...); !errors.Is(err, ErrUsage) {
			t.Errorf("agent %q: %v, want a usage error", b.args, err)
		}
	}
}

func TestConsoleCommand(t *testing.T) {
	ns, err := relay.StartEmbedded(relay.EmbeddedOptions{Dir: t.TempDir(), ListenAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	if _, err := runAgent(t, "s3cret-pass\n", "add", "alice", "--nats", ns.ClientURL(), "--data", t.TempDir()); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() {
		done <- consoleCmd(ctx, Env{Stdout: io.Discard, Stderr: &out}, []string{"--nats", ns.ClientURL(), "--addr", addr, "--data", t.TempDir()})
	}()
	var resp *http.Response
	for i := 0; ; i++ {
		resp, err = http.Post("http://"+addr+"/console/api/login", "application/json", strings.NewReader(`{"name":"alice","password":"s3cret-pass"}`))
		if err == nil {
			break
		}
		if i > 200 {
			t.Fatalf("console never listened: %v\n%s", err, out.String())
		}
		time.Sleep(25 * time.Millisecond)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login through kairos console: %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("console: %v", err)
	}

	if err := consoleCmd(context.Background(), Env{Stdout: io.Discard, Stderr: io.Discard}, []string{"--data", t.TempDir()}); !errors.Is(err, ErrUsage) {
		t.Fatalf("console without NATS: %v, want a usage error", err)
	}
}
