package channels

import "time"

// Statuses of a DeliveryReport.
const (
	// DeliverySent: the platform accepted the message.
	DeliverySent = "sent"
	// DeliveryPending: the platform does not allow the message now (its
	// reply window is closed or its quota spent); the message is kept
	// and delivered at the customer's next interaction.
	DeliveryPending = "pending"
	// DeliveryRefused: the message will not be delivered (the customer
	// opted out of proactive messages, or the platform refused it for
	// good).
	DeliveryRefused = "refused"
	// DeliveryFailed: the platform could not be reached; the message is
	// kept and tried again at the next interaction.
	DeliveryFailed = "failed"
)

// DeliveryReport says what became of an outbound message on a platform
// channel that delivers through an API (WeChat, WeCom, Douyin) rather than
// a live connection. Adapters publish it on DeliverySubject(channel) so the
// trigger engine can record, for a proactive message, whether it reached
// the customer or waits for their next interaction.
type DeliveryReport struct {
	V              int       `json:"v"`
	Channel        string    `json:"channel"`
	Account        string    `json:"account,omitempty"`
	ConversationID string    `json:"conversation_id"`
	Seq            int64     `json:"seq"`
	Status         string    `json:"status"`
	Reason         string    `json:"reason,omitempty"`
	At             time.Time `json:"at"`
}

// DeliverySubject is the NATS subject delivery reports of channel are
// published on (core NATS, at most once).
func DeliverySubject(channel string) string { return "kairos.delivery." + channel }
