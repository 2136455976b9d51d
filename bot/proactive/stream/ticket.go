package stream

import (
	"encoding/binary"
	"errors"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/kairoscx/kairos/memory"
)

// A ticket is what a partition consumer receives: an event, already
// decoded and validated by the router and addressed to its customer, or a
// due timer — with the reply subject of the durable message it came from
// (in KAIROS_EVENTS or KAIROS_PROACTIVE). The partition acknowledges that
// source message once the engine has evaluated the ticket, so a ticket may
// be lost (it lives in memory) without losing what it carries: the source
// is delivered again after its ack wait and routed again.
//
// One message of the ticket stream carries the tickets of one partition
// that the router had at hand (see batcher), so the stream stores and
// delivers one message per batch instead of one per event. The encoding
// is compact binary, not JSON: the event's envelope is parsed once, by
// the router, and only its props (JSON, as published) are parsed again,
// once, by the engine.
//
//	byte 0   ticketVersion
//	then tickets, each:
//	  byte            ticketEvent | ticketTimer
//	  string          reply subject of the source message
//	  event: strings  id, customer, type, source
//	         varint   Unix nanoseconds; varint zone offset in seconds
//	         string   props (a JSON object, possibly empty)
//	  timer: string   the proactive.Timer as JSON (as armed)
//
// (string: uvarint length, then the bytes.)
type ticket struct {
	reply string
	timer []byte       // a due timer's JSON; nil for an event
	ev    memory.Event // an event
}

const (
	ticketVersion = 1
	ticketEvent   = 'e'
	ticketTimer   = 't'
)

var errTicket = errors.New("proactive stream: malformed ticket")

// appendEventTicket appends the ticket of ev, from the source message
// with the given reply subject, to a batch (which starts with
// ticketVersion).
func appendEventTicket(b []byte, reply string, ev *memory.Event) []byte {
	b = append(b, ticketEvent)
	b = appendString(b, reply)
	b = appendString(b, ev.ID)
	b = appendString(b, ev.CustomerID)
	b = appendString(b, ev.Type)
	b = appendString(b, ev.Source)
	b = binary.AppendVarint(b, ev.At.UnixNano())
	_, off := ev.At.Zone()
	b = binary.AppendVarint(b, int64(off))
	b = binary.AppendUvarint(b, uint64(len(ev.Props)))
	return append(b, ev.Props...)
}

// appendTimerTicket appends the ticket of a due timer (its JSON as armed).
func appendTimerTicket(b []byte, reply string, timer []byte) []byte {
	b = append(b, ticketTimer)
	b = appendString(b, reply)
	b = binary.AppendUvarint(b, uint64(len(timer)))
	return append(b, timer...)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// interner keeps one copy of the short strings many events share (types,
// sources), so a window does not hold a copy per event. Not safe for
// concurrent use: each partition has its own.
type interner map[string]string

const maxInterned = 1024

func (in interner) get(b []byte) string {
	if s, ok := in[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(in) < maxInterned {
		in[s] = s
	}
	return s
}

// decodeTickets parses a batch, appending its tickets to out. Reply
// subjects, props and timers share data's memory: data must not change
// while the tickets are in use. On error, out holds the tickets before the
// malformed one.
func decodeTickets(data []byte, out []ticket, in interner) ([]ticket, error) {
	if len(data) < 1 || data[0] != ticketVersion {
		return out, errTicket
	}
	rest := data[1:]
	for len(rest) > 0 {
		var t ticket
		var ok bool
		kind := rest[0]
		var reply []byte
		if reply, rest, ok = readBytes(rest[1:]); !ok {
			return out, errTicket
		}
		// The reply subject is only published to (which copies it) while
		// the batch is processed: it shares data's memory, which nothing
		// changes.
		t.reply = unsafe.String(unsafe.SliceData(reply), len(reply))
		switch kind {
		case ticketTimer:
			if t.timer, rest, ok = readBytes(rest); !ok || len(t.timer) == 0 {
				return out, errTicket
			}
		case ticketEvent:
			if rest, ok = readEvent(rest, &t.ev, in); !ok {
				return out, errTicket
			}
		default:
			return out, errTicket
		}
		out = append(out, t)
	}
	return out, nil
}

func readEvent(rest []byte, ev *memory.Event, in interner) ([]byte, bool) {
	id, rest, ok := readBytes(rest)
	if !ok {
		return nil, false
	}
	cus, rest, ok := readBytes(rest)
	if !ok {
		return nil, false
	}
	// One allocation for both ids: the window keeps them as long as each
	// other.
	var sb strings.Builder
	sb.Grow(len(id) + len(cus))
	sb.Write(id)
	sb.Write(cus)
	both := sb.String()
	ev.ID, ev.CustomerID = both[:len(id)], both[len(id):]
	for _, s := range [...]*string{&ev.Type, &ev.Source} {
		var b []byte
		if b, rest, ok = readBytes(rest); !ok {
			return nil, false
		}
		*s = in.get(b)
	}
	ns, n := binary.Varint(rest)
	if n <= 0 {
		return nil, false
	}
	rest = rest[n:]
	off, n := binary.Varint(rest)
	if n <= 0 {
		return nil, false
	}
	ev.At = time.Unix(0, ns).In(zone(int(off)))
	props, rest, ok := readBytes(rest[n:])
	if len(props) > 0 {
		ev.Props = props
	}
	return rest, ok
}

func readBytes(b []byte) ([]byte, []byte, bool) {
	l, n := binary.Uvarint(b)
	if n <= 0 || uint64(len(b)-n) < l {
		return nil, nil, false
	}
	end := n + int(l)
	return b[n:end:end], b[end:], true
}

// zones caches the fixed zones of the offsets seen (a few dozen exist),
// so an event's time keeps the offset it was published with (templates
// print it) without a Location per event.
var zones sync.Map // int → *time.Location

func zone(off int) *time.Location {
	if off == 0 {
		return time.UTC
	}
	if l, ok := zones.Load(off); ok {
		return l.(*time.Location)
	}
	l, _ := zones.LoadOrStore(off, time.FixedZone("", off))
	return l.(*time.Location)
}
