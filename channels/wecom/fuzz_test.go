package wecom

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzParseCallback feeds arbitrary decrypted callback bodies to the
// parser, seeded with the documented kf_msg_or_event format.
func FuzzParseCallback(f *testing.F) {
	f.Add([]byte(`<xml><ToUserName><![CDATA[ww12345678910]]></ToUserName><CreateTime>1348831860</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event><Token><![CDATA[ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR]]></Token><OpenKfId><![CDATA[wkxxxxxxx]]></OpenKfId></xml>`))
	f.Add([]byte(`<xml><MsgType>event</MsgType></xml>`))
	f.Add([]byte(`not xml`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := parseCallback(body)
		if err != nil {
			if !errors.Is(err, errMalformed) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if ev.Event == "kf_msg_or_event" && ev.OpenKfID == "" {
			t.Fatal("accepted kf_msg_or_event without OpenKfId")
		}
	})
}

// FuzzParseSyncResponse feeds arbitrary sync_msg answers to the decoder
// the sync loop uses; it must not panic on any shape.
func FuzzParseSyncResponse(f *testing.F) {
	f.Add([]byte(`{"errcode":0,"errmsg":"ok","next_cursor":"4gw7MepFLfgF2VC5npN","has_more":1,"msg_list":[{"msgid":"from_msgid_4622416642169452483","open_kfid":"wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q","external_userid":"wmAJ2GCAAAme1XQRC-NI-q0_ZM9ukoAw","send_time":1615478585,"origin":3,"msgtype":"text","text":{"content":"hello world","menu_id":"101"}},{"msgid":"x","origin":4,"msgtype":"event","event":{"event_type":"enter_session","open_kfid":"wk","external_userid":"wm","scene":"123","welcome_code":"aaa"}}]}`))
	f.Add([]byte(`{"msg_list":[{"text":null,"event":null}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var r syncResponse
		if json.Unmarshal(body, &r) != nil {
			return
		}
		for _, m := range r.MsgList {
			_ = m.Text != nil && m.Text.Content != ""
			_ = m.Event != nil && m.Event.EventType != ""
		}
	})
}
