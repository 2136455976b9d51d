package nba_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/kairoscx/kairos/bot/insight"
	"github.com/kairoscx/kairos/bot/predict/nba"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// embeddedNATS starts a JetStream server in this process.
func embeddedNATS(t *testing.T) string {
	t.Helper()
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true,
		StoreDir: t.TempDir(), NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("embedded nats not ready")
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	return srv.ClientURL()
}

// standaloneNATS is the local server (KAIROS_TEST_NATS_URL, default
// nats://127.0.0.1:4222); skipped when none answers, except under CI=true.
func standaloneNATS(t *testing.T) string {
	t.Helper()
	url := os.Getenv("KAIROS_TEST_NATS_URL")
	if url == "" {
		url = "nats://127.0.0.1:4222"
	}
	conn, err := net.DialTimeout("tcp", url[len("nats://"):], 2*time.Second)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but no NATS server at %s: %v", url, err)
		}
		t.Skipf("no NATS server at %s: %v", url, err)
	}
	conn.Close()
	return url
}

func jetStream(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func TestKVState(t *testing.T) {
	servers := map[string]func(*testing.T) string{"embedded": embeddedNATS, "standalone": standaloneNATS}
	for name, start := range servers {
		t.Run(name, func(t *testing.T) {
			url := start(t)
			ctx := context.Background()
			bucket := fmt.Sprintf("kairos_nba_test_%d", rand.Uint64())
			// Two nodes, each with its own connection.
			jsA, jsB := jetStream(t, url), jetStream(t, url)
			t.Cleanup(func() { jsA.DeleteKeyValue(context.Background(), bucket) })
			a, err := nba.OpenKVState(ctx, jsA, bucket)
			if err != nil {
				t.Fatal(err)
			}
			b, err := nba.OpenKVState(ctx, jsB, bucket)
			if err != nil {
				t.Fatal(err)
			}
			if arms, err := a.Arms(ctx, "order.mid.lo"); err != nil || len(arms) != 0 {
				t.Fatalf("empty bucket: %v, %v", arms, err)
			}
			// Concurrent records from both nodes on one key: optimistic
			// concurrency must lose none.
			const perWorker = 25
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for w := range 8 {
				st := a
				if w%2 == 1 {
					st = b
				}
				wg.Go(func() {
					for i := range perWorker {
						outcome := nba.Accepted
						if i%3 == 0 {
							outcome = nba.Declined
						}
						if err := st.Record(ctx, "order.mid.lo", nba.Coupon, outcome); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			arms, err := b.Arms(ctx, "order.mid.lo")
			if err != nil {
				t.Fatal(err)
			}
			// i%3 == 0 for 9 of 25 indexes.
			if got, want := arms[nba.Coupon], (nba.Arm{Accepted: 8 * 16, Declined: 8 * 9}); got != want {
				t.Fatalf("after 200 concurrent records: %+v, want %+v", got, want)
			}
			// Bad input is refused before it reaches the bucket.
			for _, bad := range [][3]string{{"order.mid", nba.Coupon, nba.Accepted}, {"a.b.c", "bribe", nba.Accepted},
				{"a.b.c", nba.Coupon, "maybe"}, {"a.b.c>", nba.Coupon, nba.Accepted}, {"a.b.c", "coupon/../x", nba.Accepted}} {
				if err := a.Record(ctx, bad[0], bad[1], bad[2]); err == nil {
					t.Errorf("Record%q accepted", bad)
				}
			}

			// A bandit on node B learns from what node A recorded.
			s := nba.Situation{CustomerID: "c", Insight: insight.Insight{Intent: insight.IntentProductQuestion, Mood: insight.MoodCalm}}
			bandit, err := nba.New(nba.Options{State: b, Now: fixedNow})
			if err != nil {
				t.Fatal(err)
			}
			before, _ := bandit.Decide(ctx, s)
			for range 50 {
				if err := a.Record(ctx, nba.Bucket(s), nba.AnswerOnly, nba.Declined); err != nil {
					t.Fatal(err)
				}
			}
			after, _ := bandit.Decide(ctx, s)
			if mean(before, nba.AnswerOnly) <= mean(after, nba.AnswerOnly) {
				t.Fatalf("answer_only mean %.3f -> %.3f after 50 declines on the other node", mean(before, nba.AnswerOnly), mean(after, nba.AnswerOnly))
			}
		})
	}
}

func mean(d nba.Decision, action string) float64 {
	for _, c := range d.Candidates {
		if c.Action == action {
			return c.Mean
		}
	}
	return -1
}
