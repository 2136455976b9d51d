package console

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/bcrypt"
)

// AgentBucket is the JetStream key-value bucket agent accounts are kept in
// (not the gateway's kairos-agents presence bucket),
// so every console process (in a gateway or on its own) sees the same ones.
const AgentBucket = "kairos_console_agents"

// Roles an account can have. An admin sees every queue and the approval
// queue for proactive drafts; an agent sees only its own queues.
const (
	RoleAgent = "agent"
	RoleAdmin = "admin"
)

// Limits on account fields.
const (
	MinPassword = 8
	// MaxPassword is bcrypt's limit: it ignores bytes after the 72nd, and
	// a password silently cut would surprise its owner.
	MaxPassword     = 72
	DefaultMaxChats = 3
	maxChatsLimit   = 50
	maxQueues       = 20
)

// Errors callers branch on.
var (
	ErrNotFound     = errors.New("not found")
	ErrExists       = errors.New("already exists")
	ErrInvalid      = errors.New("invalid")
	ErrUnauthorized = errors.New("wrong name or password")
	ErrRateLimited  = errors.New("too many attempts")
)

var (
	agentNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	queueRE     = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)
)

// Agent is a console account. The password hash is bcrypt's; the password
// itself is never stored.
type Agent struct {
	Name         string    `json:"name"`
	Role         string    `json:"role"`
	Queues       []string  `json:"queues"`
	MaxChats     int       `json:"max_chats"`
	PasswordHash []byte    `json:"password_hash"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// IsAdmin reports whether the agent has the admin role.
func (a Agent) IsAdmin() bool { return a.Role == RoleAdmin }

// CanSeeQueue reports whether the agent may see handoffs in queue: admins
// see all, agents only their own queues (skills).
func (a Agent) CanSeeQueue(queue string) bool {
	return a.IsAdmin() || slices.Contains(a.Queues, queue)
}

// NewAgent describes an account to create.
type NewAgent struct {
	Name     string
	Password string
	Role     string   // RoleAgent when empty
	Queues   []string // "general" when empty
	MaxChats int      // DefaultMaxChats when 0
	// Replace overwrites an existing account of that name (a password
	// reset or a change of queues); without it an existing name is
	// ErrExists.
	Replace bool
}

// Accounts stores agent accounts in a JetStream key-value bucket.
type Accounts struct {
	kv   jetstream.KeyValue
	cost int
	now  func() time.Time
	// dummy is a hash of a random password, compared against when the
	// name is unknown so that an unknown name costs as long as a wrong
	// password.
	dummy []byte
}

// OpenAccounts opens (creating when missing) the agent bucket. cost is the
// bcrypt cost (bcrypt.DefaultCost when 0; tests use bcrypt.MinCost).
func OpenAccounts(ctx context.Context, js jetstream.JetStream, cost int, now func() time.Time) (*Accounts, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      AgentBucket,
		Description: "Kairos agent console accounts",
		History:     1,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("console: open %s: %w", AgentBucket, err)
	}
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	if now == nil {
		now = time.Now
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte(randomID()), cost)
	if err != nil {
		return nil, fmt.Errorf("console: open accounts: %w", err)
	}
	return &Accounts{kv: kv, cost: cost, now: now, dummy: dummy}, nil
}

// NormalizeName lowercases and trims an agent name.
func NormalizeName(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ParseQueues splits a comma-separated queue list, dropping blanks and
// duplicates.
func ParseQueues(s string) []string {
	var qs []string
	for _, q := range strings.Split(s, ",") {
		q = strings.ToLower(strings.TrimSpace(q))
		if q != "" && !slices.Contains(qs, q) {
			qs = append(qs, q)
		}
	}
	return qs
}

func validate(n *NewAgent) error {
	n.Name = NormalizeName(n.Name)
	if !agentNameRE.MatchString(n.Name) {
		return fmt.Errorf("%w: name %q: want 1-64 of a-z 0-9 _ - (starting with a letter or digit)", ErrInvalid, n.Name)
	}
	if n.Role == "" {
		n.Role = RoleAgent
	}
	if n.Role != RoleAgent && n.Role != RoleAdmin {
		return fmt.Errorf("%w: role %q: want agent or admin", ErrInvalid, n.Role)
	}
	if len(n.Queues) == 0 {
		n.Queues = []string{"general"}
	}
	if len(n.Queues) > maxQueues {
		return fmt.Errorf("%w: at most %d queues", ErrInvalid, maxQueues)
	}
	for _, q := range n.Queues {
		if !queueRE.MatchString(q) {
			return fmt.Errorf("%w: queue %q: want 1-32 of a-z 0-9 _ -", ErrInvalid, q)
		}
	}
	if n.MaxChats == 0 {
		n.MaxChats = DefaultMaxChats
	}
	if n.MaxChats < 1 || n.MaxChats > maxChatsLimit {
		return fmt.Errorf("%w: max chats %d: want 1-%d", ErrInvalid, n.MaxChats, maxChatsLimit)
	}
	if len(n.Password) < MinPassword {
		return fmt.Errorf("%w: the password needs at least %d characters", ErrInvalid, MinPassword)
	}
	if len(n.Password) > MaxPassword {
		return fmt.Errorf("%w: the password may have at most %d bytes", ErrInvalid, MaxPassword)
	}
	return nil
}

// Add creates an account (or replaces one when n.Replace is set) with the
// password hashed by bcrypt.
func (s *Accounts) Add(ctx context.Context, n NewAgent) (Agent, error) {
	if err := validate(&n); err != nil {
		return Agent{}, fmt.Errorf("console: add agent: %w", err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(n.Password), s.cost)
	if err != nil {
		return Agent{}, fmt.Errorf("console: add agent %s: %w", n.Name, err)
	}
	now := s.now().UTC()
	a := Agent{Name: n.Name, Role: n.Role, Queues: n.Queues, MaxChats: n.MaxChats, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	if n.Replace {
		if old, err := s.Get(ctx, n.Name); err == nil {
			a.CreatedAt = old.CreatedAt
		}
		data, _ := json.Marshal(a)
		if _, err := s.kv.Put(ctx, n.Name, data); err != nil {
			return Agent{}, fmt.Errorf("console: add agent %s: %w", n.Name, err)
		}
		return a, nil
	}
	data, _ := json.Marshal(a)
	if _, err := s.kv.Create(ctx, n.Name, data); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return Agent{}, fmt.Errorf("console: add agent %s: %w (use --replace to change it)", n.Name, ErrExists)
		}
		return Agent{}, fmt.Errorf("console: add agent %s: %w", n.Name, err)
	}
	return a, nil
}

// Get returns the account called name, or ErrNotFound.
func (s *Accounts) Get(ctx context.Context, name string) (Agent, error) {
	name = NormalizeName(name)
	if !agentNameRE.MatchString(name) {
		return Agent{}, fmt.Errorf("console: agent %q: %w", name, ErrNotFound)
	}
	e, err := s.kv.Get(ctx, name)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Agent{}, fmt.Errorf("console: agent %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return Agent{}, fmt.Errorf("console: agent %q: %w", name, err)
	}
	var a Agent
	if err := json.Unmarshal(e.Value(), &a); err != nil {
		return Agent{}, fmt.Errorf("console: agent %q: decode: %w", name, err)
	}
	return a, nil
}

// List returns every account, sorted by name.
func (s *Accounts) List(ctx context.Context) ([]Agent, error) {
	keys, err := s.kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("console: list agents: %w", err)
	}
	var out []Agent
	for k := range keys.Keys() {
		a, err := s.Get(ctx, k)
		if err != nil {
			continue // deleted in between
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b Agent) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Delete removes an account.
func (s *Accounts) Delete(ctx context.Context, name string) error {
	if err := s.kv.Delete(ctx, NormalizeName(name)); err != nil {
		return fmt.Errorf("console: delete agent %s: %w", name, err)
	}
	return nil
}

// Verify checks a name and password. Unknown names and wrong passwords
// both return ErrUnauthorized after the same bcrypt work, so neither the
// answer nor its timing tells which names exist.
func (s *Accounts) Verify(ctx context.Context, name, password string) (Agent, error) {
	a, err := s.Get(ctx, name)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Agent{}, err
	}
	hash := s.dummy
	if err == nil {
		hash = a.PasswordHash
	}
	cmpErr := bcrypt.CompareHashAndPassword(hash, []byte(password))
	ok := subtle.ConstantTimeEq(boolInt(cmpErr == nil), 1) & subtle.ConstantTimeEq(boolInt(err == nil), 1)
	if ok != 1 {
		return Agent{}, ErrUnauthorized
	}
	return a, nil
}

func boolInt(b bool) int32 {
	if b {
		return 1
	}
	return 0
}
