package gateway

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

const siteSecret = "site-secret-0123456789abcdef"

// identify links the chat's visitor to the host site's user, signed as the
// host site's server would, and returns the customer id Kairos answers with.
func (c *chat) identify(userID string) string {
	c.t.Helper()
	ts := time.Now().Unix()
	mac := hmac.New(sha256.New, []byte(siteSecret))
	mac.Write([]byte(userID + "." + strconv.FormatInt(ts, 10)))
	c.send(map[string]any{"type": "identify", "user_id": userID, "ts": ts, "sig": hex.EncodeToString(mac.Sum(nil))})
	var got struct {
		Type       string `json:"type"`
		CustomerID string `json:"customer_id"`
		Code       string `json:"code"`
	}
	c.conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	for got.Type != "identified" {
		if err := c.conn.ReadJSON(&got); err != nil {
			c.t.Fatalf("identify: %v", err)
		}
		if got.Type == "error" {
			c.t.Fatalf("identify refused: %s", got.Code)
		}
	}
	return got.CustomerID
}

// customerView is the part of GET /api/v1/customers/{id} the test reads.
type customerView struct {
	Customer struct {
		ID string `json:"id"`
	} `json:"customer"`
	Profile struct {
		Business struct {
			Orders        int     `json:"orders"`
			LifetimeValue float64 `json:"lifetime_value"`
		} `json:"business"`
	} `json:"profile"`
	Memories []struct {
		Key  string `json:"key"`
		Text string `json:"text"`
	} `json:"memories"`
}

func getCustomer(t *testing.T, base, id string) (customerView, int) {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/customers/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v customerView
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	return v, resp.StatusCode
}

// eventually polls cond for up to 20 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestCustomer360 is the customer-360 story end to end, on both stores.
func TestCustomer360(t *testing.T) {
	for name, cfgFor := range storeConfigs(t) {
		t.Run(name, func(t *testing.T) {
			cfg := cfgFor(t)
			cfg.SiteSecret = siteSecret
			cfg.Memory.EveryTurns = 1 // extract after every message, so the test need not wait for idling
			n := startNode(t, cfg)
			user := fmt.Sprintf("u-%d", time.Now().UnixNano())

			// A customer tells the bot a fact on their laptop.
			laptop, _ := dial(t, n.base, "lang=zh")
			customerID := laptop.identify(user)
			laptop.ask("我宝宝8个月了，想看看奶粉")
			eventually(t, "the fact to be remembered", func() bool {
				v, _ := getCustomer(t, n.base, customerID)
				for _, m := range v.Memories {
					if m.Key == "baby.age" && strings.Contains(m.Text, "8") {
						return true
					}
				}
				return false
			})

			// Days later, on their phone (a new visitor), they sign in and ask.
			phone, _ := dial(t, n.base, "lang=zh")
			if got := phone.identify(user); got != customerID {
				t.Fatalf("phone identified as %s, want the same customer %s", got, customerID)
			}
			reply := phone.ask("我上次说宝宝多大了？")
			t.Logf("recall reply: %s", reply.Text)
			if !strings.Contains(reply.Text, "8") {
				t.Fatalf("reply %q does not recall the baby's age", reply.Text)
			}

			// The shop reports an order; the profile shows it.
			body := fmt.Sprintf(`{"events":[{"id":"ord-%s","type":"order_placed","customer":{"identity":{"kind":"site_user","value":%q}},"props":{"order_id":"A1","items":[{"sku":"BF-2","qty":2,"price":268}],"total":536}}]}`, user, user)
			resp, err := http.Post(n.base+"/api/v1/events", "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"accepted"`) {
				t.Fatalf("POST events: %s %s", resp.Status, b)
			}
			eventually(t, "the order in the profile", func() bool {
				v, _ := getCustomer(t, n.base, customerID)
				return v.Profile.Business.Orders == 1 && v.Profile.Business.LifetimeValue == 536
			})

			// The customer asks to be forgotten.
			req, _ := http.NewRequest(http.MethodDelete, n.base+"/api/v1/customers/"+customerID, nil)
			resp, err = http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("DELETE customer: %s", resp.Status)
			}
			if _, status := getCustomer(t, n.base, customerID); status != http.StatusNotFound {
				t.Fatalf("GET erased customer: %d, want 404", status)
			}
			// Signing in again starts from nothing: the old fact is gone.
			again, _ := dial(t, n.base, "lang=zh")
			if id := again.identify(user); id == customerID {
				t.Fatalf("an erased customer's id came back: %s", id)
			}
			reply = again.ask("我上次说宝宝多大了？")
			t.Logf("after erasure: %s", reply.Text)
			if strings.Contains(reply.Text, "8个月") || strings.Contains(reply.Text, "8 个月") {
				t.Fatalf("erased fact recalled: %q", reply.Text)
			}
		})
	}
}
