package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kairoscx/kairos/channels/console"
	"github.com/kairoscx/kairos/channels/relay"
)

// stdin is where agent add reads a password from; tests replace it (Env
// has no stdin of its own).
var stdin io.Reader = os.Stdin

// agentCmd runs "kairos agent add|list|delete": console accounts in the
// shared JetStream bucket, reached through --nats, nats_url, or (for a
// single node that is not running) the embedded NATS in the data directory.
func agentCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usageErr("agent needs a subcommand: add, list or delete")
	}
	sub, args := args[0], args[1:]
	c := newCommon("agent "+sub, env)
	natsURL := c.fs.String("nats", "", "NATS server URL (default: the nats_url setting, else the embedded NATS in the data directory)")
	role := c.fs.String("role", console.RoleAgent, "agent or admin")
	queues := c.fs.String("queues", "general", "comma-separated queues (skills) the agent serves")
	maxChats := c.fs.Int("max-chats", console.DefaultMaxChats, "most chats the agent handles at once")
	pwStdin := c.fs.Bool("password-stdin", false, "read the password from the first line of stdin instead of prompting")
	replace := c.fs.Bool("replace", false, "replace an existing account (new password, role, queues)")
	// Flags may come before or after the name.
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := c.parse(args); err != nil {
		return err
	}
	rest := c.fs.Args()
	if name == "" && len(rest) > 0 {
		name, rest = rest[0], rest[1:]
	}
	switch sub {
	case "add", "delete":
		if name == "" || len(rest) > 0 {
			return usageErr("agent %s takes exactly one NAME", sub)
		}
	case "list":
		if name != "" || len(rest) > 0 {
			return usageErr("agent list takes no arguments")
		}
	default:
		return usageErr("unknown agent subcommand %q", sub)
	}
	var password string
	if sub == "add" {
		// Check the rest before asking for a password.
		if *role != console.RoleAgent && *role != console.RoleAdmin {
			return usageErr("--role %q: want agent or admin", *role)
		}
		pw, err := readPassword(env, *pwStdin)
		if err != nil {
			return err
		}
		password = pw
	}
	cfg, _, err := c.load(env)
	if err != nil {
		return err
	}
	url := *natsURL
	if url == "" {
		url = cfg.NATSURL
	}
	nc, stop, err := connectForAgents(url, filepath.Join(cfg.Data, "nats"))
	if err != nil {
		return err
	}
	defer stop()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("agent: jetstream: %w", err)
	}
	acc, err := console.OpenAccounts(ctx, js, 0, nil)
	if err != nil {
		return err
	}
	switch sub {
	case "add":
		a, err := acc.Add(ctx, console.NewAgent{Name: name, Password: password, Role: *role,
			Queues: console.ParseQueues(*queues), MaxChats: *maxChats, Replace: *replace})
		if errors.Is(err, console.ErrInvalid) {
			return usageErr("%v", err)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "agent %s (%s) saved: queues %s, up to %d chats\n", a.Name, a.Role, strings.Join(a.Queues, ","), a.MaxChats)
	case "list":
		list, err := acc.List(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tQUEUES\tMAX CHATS")
		for _, a := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", a.Name, a.Role, strings.Join(a.Queues, ","), a.MaxChats)
		}
		return tw.Flush()
	case "delete":
		if _, err := acc.Get(ctx, name); err != nil {
			return err
		}
		if err := acc.Delete(ctx, name); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "agent %s deleted\n", console.NormalizeName(name))
	}
	return nil
}

// connectForAgents connects to url, or with no url starts the embedded
// NATS server on dir (the one a single-node gateway uses; it must not be
// running at the same time).
func connectForAgents(url, dir string) (*nats.Conn, func(), error) {
	if url != "" {
		nc, err := nats.Connect(url, nats.Name("kairos-agent"))
		if err != nil {
			return nil, nil, fmt.Errorf("agent: connect to NATS at %s: %w", url, err)
		}
		return nc, nc.Close, nil
	}
	srv, err := relay.StartEmbedded(relay.EmbeddedOptions{Dir: dir})
	if err != nil {
		return nil, nil, fmt.Errorf("agent: %w (with a running gateway, pass --nats and set nats_listen)", err)
	}
	nc, err := srv.Connect("kairos-agent")
	if err != nil {
		srv.Shutdown()
		return nil, nil, err
	}
	return nc, func() { nc.Close(); srv.Shutdown() }, nil
}

// readPassword prompts twice on a terminal (echo off), or reads one line
// from stdin when it is not a terminal or --password-stdin is given.
func readPassword(env Env, fromStdin bool) (string, error) {
	f, isFile := stdin.(*os.File)
	terminal := false
	if isFile && !fromStdin {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			terminal = true
		}
	}
	if !terminal {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return "", usageErr("no password on stdin")
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	ask := func(prompt string) (string, error) {
		fmt.Fprint(env.Stderr, prompt)
		echo(f, false)
		defer func() { echo(f, true); fmt.Fprintln(env.Stderr) }()
		line, err := bufio.NewReader(f).ReadString('\n')
		if err != nil {
			return "", fmt.Errorf("agent: read password: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	pw, err := ask("Password: ")
	if err != nil {
		return "", err
	}
	again, err := ask("Again: ")
	if err != nil {
		return "", err
	}
	if pw != again {
		return "", usageErr("the passwords differ")
	}
	return pw, nil
}

// echo turns terminal echo on or off with stty, so the password is not
// shown (no terminal package is in the module graph).
func echo(tty *os.File, on bool) {
	arg := "-echo"
	if on {
		arg = "echo"
	}
	cmd := exec.Command("stty", arg)
	cmd.Stdin = tty
	_ = cmd.Run()
}
