package outcomes

import (
	"encoding/csv"
	"io"
	"strconv"
	"time"
)

// LedgerHeader is the CSV ledger's header row.
var LedgerHeader = []string{"kind", "id", "at", "customer", "trigger", "channel", "segment", "converted", "conversion_value", "incremental_value", "retained", "agent_minutes_saved"}

// WriteLedgerCSV writes entries as CSV (RFC 4180) with LedgerHeader.
// Values starting with =, +, - or @ are prefixed with ' so a spreadsheet
// does not run them as formulas.
func WriteLedgerCSV(w io.Writer, entries []Entry) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(LedgerHeader); err != nil {
		return err
	}
	for _, e := range entries {
		retained := ""
		if e.Retained != nil {
			retained = strconv.FormatBool(*e.Retained)
		}
		rec := []string{e.Kind, safe(e.ID), e.At.UTC().Format(time.RFC3339), safe(e.Customer), safe(e.Trigger), safe(e.Channel), safe(e.Segment),
			strconv.FormatBool(e.Converted), money(e.ConversionValue), money(e.IncrementalValue), retained, money(e.AgentMinutesSaved)}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func money(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

func safe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}
