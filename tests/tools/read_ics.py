"""Reads an iCalendar feed (standard input) with two independent parsers,
icalendar and vobject, and prints what each of them sees as one JSON object:
{"icalendar": {...}, "vobject": {...}}. tests/api/calendar_feed.rs compares
both with what the feed should say. A feed either parser refuses fails here."""

import itertools
import json
import sys

import icalendar
import vobject


def text(value):
    return None if value is None else str(value)


def by_icalendar(feed):
    calendar = icalendar.Calendar.from_ical(feed)
    events = []
    for event in calendar.walk("VEVENT"):
        rule = event.get("RRULE")
        events.append({
            "uid": text(event.get("UID")),
            "summary": text(event.get("SUMMARY")),
            "description": text(event.get("DESCRIPTION")),
            "dtstart": event.decoded("DTSTART").isoformat(),
            "dtend": event.decoded("DTEND").isoformat() if "DTEND" in event else None,
            "url": text(event.get("URL")),
            "rrule": rule.to_ical().decode() if rule is not None else None,
            "errors": [list(error) for error in event.errors],
        })
    return {
        "prodid": text(calendar.get("PRODID")),
        "version": text(calendar.get("VERSION")),
        "errors": [list(error) for error in calendar.errors],
        "events": events,
    }


def by_vobject(feed):
    calendar = vobject.readOne(feed, validate=True)
    events = []
    for event in calendar.contents.get("vevent", []):
        def value(name):
            return event.contents[name][0].value if name in event.contents else None
        occurrences = None
        if "rrule" in event.contents:
            dates = itertools.islice(event.getrruleset(addRDate=True), 20)
            occurrences = [d.date().isoformat() for d in dates]
        dtend = value("dtend")
        events.append({
            "uid": value("uid"),
            "summary": value("summary"),
            "description": value("description"),
            "dtstart": value("dtstart").isoformat(),
            "dtend": dtend.isoformat() if dtend is not None else None,
            "url": value("url"),
            "rrule": value("rrule"),
            "occurrences": occurrences,
        })
    return {
        "prodid": calendar.prodid.value,
        "version": calendar.version.value,
        "events": events,
    }


feed = sys.stdin.read()
json.dump({"icalendar": by_icalendar(feed), "vobject": by_vobject(feed)}, sys.stdout)
