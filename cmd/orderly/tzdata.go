package main

// The binary embeds the IANA time zone database, so supplier time zones
// (validated with time.LoadLocation) work on hosts without /usr/share/zoneinfo,
// such as scratch or distroless containers.
import _ "time/tzdata"
