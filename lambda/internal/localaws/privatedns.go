package localaws

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// privateDNS stands in for what moto does not do with private DNS on interface endpoints:
// ModifyVpcEndpoint's PrivateDnsEnabled (moto ignores it) is remembered and shown in every
// DescribeVpcEndpoints answer after, and turning private DNS on, in CreateVpcEndpoint or
// ModifyVpcEndpoint, is refused as AWS refuses it when the VPC's enableDnsSupport or
// enableDnsHostnames is off.
type privateDNS struct {
	serverURL string
	mu        sync.Mutex
	enabled   map[string]bool // by endpoint ID, as the last ModifyVpcEndpoint set it
}

// EmulatePrivateDNS makes the front serve private DNS on interface endpoints as AWS does (see
// privateDNS), until the next Reset.
func (m *Moto) EmulatePrivateDNS() {
	m.rec.mu.Lock()
	defer m.rec.mu.Unlock()
	m.dns = &privateDNS{serverURL: m.ServerURL, enabled: make(map[string]bool)}
}

// privateDNSError is the answer AWS gives to private DNS in a VPC without the DNS attributes.
const privateDNSError = "InvalidParameter"

// serve answers op if it is one privateDNS stands in for; ok is false when the call is moto's.
func (d *privateDNS) serve(w http.ResponseWriter, r *http.Request, op string, values url.Values, proxy http.Handler) (code string, ok bool) {
	switch op {
	case "CreateVpcEndpoint":
		if values.Get("PrivateDnsEnabled") == "true" {
			if code, refused := d.refuse(w, r, values, values.Get("VpcId")); refused {
				return code, true
			}
		}
		proxy.ServeHTTP(w, r)
		return "", true
	case "ModifyVpcEndpoint":
		v := values.Get("PrivateDnsEnabled")
		if v == "" {
			return "", false
		}
		id := values.Get("VpcEndpointId")
		if v == "true" {
			vpc, err := d.endpointVPC(r, id)
			if err != nil {
				writeQueryError(w, values.Get("Version"), http.StatusInternalServerError, "InternalError", err.Error())
				return "InternalError", true
			}
			if code, refused := d.refuse(w, r, values, vpc); refused {
				return code, true
			}
		}
		d.mu.Lock()
		d.enabled[id] = v == "true"
		d.mu.Unlock()
		proxy.ServeHTTP(w, r)
		return "", true
	case "DescribeVpcEndpoints":
		r.Header.Del("Accept-Encoding") // the answer is rewritten: plain text, please
		rec := httptest.NewRecorder()
		proxy.ServeHTTP(rec, r)
		body := d.rewrite(rec.Body.Bytes())
		for k, vs := range rec.Header() {
			if k != "Content-Length" {
				w.Header()[k] = vs
			}
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
		return "", true
	}
	return "", false
}

var endpointItem = regexp.MustCompile(`(?s)<vpcEndpointId>(vpce-[0-9a-f]+)</vpcEndpointId>(.*?)<privateDnsEnabled>(true|false)</privateDnsEnabled>`)

// rewrite sets privateDnsEnabled in a DescribeVpcEndpoints answer to what ModifyVpcEndpoint set.
func (d *privateDNS) rewrite(body []byte) []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return endpointItem.ReplaceAllFunc(body, func(item []byte) []byte {
		m := endpointItem.FindSubmatch(item)
		on, ok := d.enabled[string(m[1])]
		if !ok {
			return item
		}
		return bytes.Join([][]byte{[]byte("<vpcEndpointId>"), m[1], []byte("</vpcEndpointId>"), m[2],
			[]byte("<privateDnsEnabled>" + strconv.FormatBool(on) + "</privateDnsEnabled>")}, nil)
	})
}

// refuse answers AWS's error when vpc lacks a DNS attribute private DNS needs.
func (d *privateDNS) refuse(w http.ResponseWriter, r *http.Request, values url.Values, vpc string) (string, bool) {
	for _, attr := range []string{"enableDnsSupport", "enableDnsHostnames"} {
		body, err := d.ask(r, url.Values{"Action": {"DescribeVpcAttribute"}, "Version": {ec2APIVersion}, "VpcId": {vpc}, "Attribute": {attr}})
		if err != nil {
			writeQueryError(w, values.Get("Version"), http.StatusInternalServerError, "InternalError", err.Error())
			return "InternalError", true
		}
		if !strings.Contains(body, "<value>true</value>") {
			writeQueryError(w, values.Get("Version"), http.StatusBadRequest, privateDNSError,
				"Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for "+vpc)
			return privateDNSError, true
		}
	}
	return "", false
}

var vpcIDElement = regexp.MustCompile(`<vpcId>(vpc-[0-9a-f]+)</vpcId>`)

// endpointVPC returns the VPC of endpoint id, as moto has it.
func (d *privateDNS) endpointVPC(r *http.Request, id string) (string, error) {
	body, err := d.ask(r, url.Values{"Action": {"DescribeVpcEndpoints"}, "Version": {ec2APIVersion}, "VpcEndpointId.1": {id}})
	if err != nil {
		return "", err
	}
	m := vpcIDElement.FindStringSubmatch(body)
	if m == nil {
		return "", fmt.Errorf("endpoint %s: moto does not know it", id)
	}
	return m[1], nil
}

// ask sends a query to moto itself, unrecorded, with the caller's authorization (which tells
// moto the service and region).
func (d *privateDNS) ask(r *http.Request, q url.Values) (string, error) {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, d.serverURL+"/", strings.NewReader(q.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", r.Header.Get("Authorization"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("moto %s: HTTP %d: %s", q.Get("Action"), resp.StatusCode, b)
	}
	return string(b), nil
}
