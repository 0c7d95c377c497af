// The timeline component's pure layout helpers, under Node's own test runner (node --test).
// What needs a browser (drawing, hover, zoom, refresh, click) is Test/Browser/TimelineBrowserTest.php.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const CronkeeperTimeline = require('../../view/adminhtml/web/js/timeline.js');

const { ticks, runExtent, zoneOffset, formatDuration } = CronkeeperTimeline.layout;
const MINUTE = 60e3, HOUR = 60 * MINUTE, DAY = 24 * HOUR;
const local = (t, zone) => new Intl.DateTimeFormat('en-GB', {
    timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
}).format(t);

test('1 h ticks fall on round ten minutes', () => {
    const from = Date.parse('2026-11-27T10:03:00Z');
    assert.deepEqual(ticks(from, from + HOUR, 10 * MINUTE, 'UTC').map((t) => new Date(t).toISOString().slice(11, 16)),
        ['10:10', '10:20', '10:30', '10:40', '10:50', '11:00']);
});

test('hour ticks follow a half-hour zone', () => {
    const from = Date.parse('2026-11-27T10:03:00Z');
    assert.deepEqual(ticks(from, from + 3 * HOUR, HOUR, 'Asia/Kolkata').map((t) => local(t, 'Asia/Kolkata').slice(-5)),
        ['16:00', '17:00', '18:00']);
});

test('7 d ticks stay on local midnight across both daylight saving changes', () => {
    for (const start of ['2026-03-26T05:00:00Z', '2026-10-22T05:00:00Z']) {
        const from = Date.parse(start);
        const shown = ticks(from, from + 7 * DAY, DAY, 'Europe/Amsterdam').map((t) => local(t, 'Europe/Amsterdam'));
        assert.equal(shown.length, 7, shown.join(' | '));
        shown.forEach((label) => assert.match(label, /, 00:00$/, shown.join(' | ')));
        assert.equal(new Set(shown).size, 7, 'no day twice');
    }
});

test('the offset of a zone changes with daylight saving time', () => {
    assert.equal(zoneOffset(Date.parse('2026-01-15T12:00:00Z'), 'Europe/Amsterdam'), HOUR);
    assert.equal(zoneOffset(Date.parse('2026-07-15T12:00:00Z'), 'Europe/Amsterdam'), 2 * HOUR);
    assert.equal(zoneOffset(Date.parse('2026-07-15T12:00:00Z'), 'No/Such_Zone'), 0);
});

test('a run is drawn from its start to its end, a running one up to now, a waiting one at its due time', () => {
    const now = Date.parse('2026-11-27T12:00:00Z');
    assert.deepEqual(runExtent({ status: 'SUCCEEDED', scheduledAt: '2026-11-27T11:00:00Z', startedAt: '2026-11-27T11:00:05Z', finishedAt: '2026-11-27T11:02:00Z' }, now),
        [Date.parse('2026-11-27T11:00:05Z'), Date.parse('2026-11-27T11:02:00Z')]);
    assert.deepEqual(runExtent({ status: 'RUNNING', scheduledAt: '2026-11-27T11:50:00Z', startedAt: '2026-11-27T11:50:01Z' }, now),
        [Date.parse('2026-11-27T11:50:01Z'), now]);
    assert.deepEqual(runExtent({ status: 'PENDING', scheduledAt: '2026-11-27T12:05:00Z' }, now),
        [Date.parse('2026-11-27T12:05:00Z'), Date.parse('2026-11-27T12:05:00Z')]);
    // MISSED entries carry the first and the latest missed fire time.
    assert.deepEqual(runExtent({ status: 'MISSED', scheduledAt: '2026-11-27T10:00:00Z', finishedAt: '2026-11-27T10:30:00Z' }, now),
        [Date.parse('2026-11-27T10:00:00Z'), Date.parse('2026-11-27T10:30:00Z')]);
    // A clock skew never draws a block backwards.
    assert.deepEqual(runExtent({ status: 'FAILED', scheduledAt: '2026-11-27T11:00:00Z', startedAt: '2026-11-27T11:00:05Z', finishedAt: '2026-11-27T11:00:04Z' }, now),
        [Date.parse('2026-11-27T11:00:05Z'), Date.parse('2026-11-27T11:00:05Z')]);
});

test('durations read the way an operator says them', () => {
    assert.equal(formatDuration(null), null);
    assert.equal(formatDuration(77), '77 ms');
    assert.equal(formatDuration(45_400), '45 s');
    assert.equal(formatDuration(200_000), '3 min 20 s');
    assert.equal(formatDuration(7_500_000), '2 h 5 min');
});

test('every RunStatus of the schema has a label and a colour of its own', () => {
    // The service's SDL (graphql/schema.graphql, checked against the code by service/tests/api_surface.rs).
    const sdl = fs.readFileSync(path.join(__dirname, '../../../graphql/schema.graphql'), 'utf8');
    const body = sdl.match(/enum RunStatus \{([^}]*)\}/)[1].replace(/"""[\s\S]*?"""/g, '');
    const statuses = body.split(/\s+/).filter((word) => /^[A-Z_]+$/.test(word));
    assert.ok(statuses.length >= 10, statuses.join(', '));
    assert.deepEqual(Object.keys(CronkeeperTimeline.STATUSES).sort(), [...statuses].sort());
    const colours = statuses.map((s) => CronkeeperTimeline.STATUSES[s].color);
    assert.equal(new Set(colours).size, statuses.length);
});

test('the zooms are the four the admin offers', () => {
    assert.deepEqual(Object.keys(CronkeeperTimeline.ZOOMS), ['1h', '6h', '24h', '7d']);
});

test('wide zooms ask for spans, narrow ones for every run', () => {
    const folded = Object.entries(CronkeeperTimeline.ZOOMS).filter(([, z]) => z.folded).map(([k]) => k);
    assert.deepEqual(folded, ['24h', '7d']);
    assert.match(CronkeeperTimeline.SPANS_QUERY, /spans \{ status start end count firstRunId lastRunId \}/);
    assert.doesNotMatch(CronkeeperTimeline.QUERY, /spans/);
});

test('the resolution is the time 16 pixels of the track stand for', () => {
    const { resolutionSeconds } = CronkeeperTimeline.layout;
    assert.equal(resolutionSeconds(DAY, 1180), 1172);
    assert.equal(resolutionSeconds(7 * DAY, 1180), 8201);
    assert.equal(resolutionSeconds(DAY, 0), 1172, 'before layout: the default width');
    assert.equal(resolutionSeconds(1000, 5000), 1, 'never below a second');
});

test('a span is drawn from its first start to its last end, never backwards', () => {
    const { spanExtent } = CronkeeperTimeline.layout;
    assert.deepEqual(spanExtent({ start: '2026-11-27T10:00:00Z', end: '2026-11-27T11:00:00Z' }),
        [Date.parse('2026-11-27T10:00:00Z'), Date.parse('2026-11-27T11:00:00Z')]);
    assert.deepEqual(spanExtent({ start: '2026-11-27T10:00:00Z', end: '2026-11-27T09:00:00Z' }),
        [Date.parse('2026-11-27T10:00:00Z'), Date.parse('2026-11-27T10:00:00Z')]);
});

test('the proxy is told the folded view and its resolution, never a query', async () => {
    const asked = [];
    global.fetch = async (url) => {
        asked.push(url);
        return { status: 200, text: async () => JSON.stringify({ data: { timeline: [] } }) };
    };
    try {
        const fetchData = CronkeeperTimeline.proxy('/timeline/data');
        await fetchData(CronkeeperTimeline.SPANS_QUERY, { from: '2026-11-26T10:00:00.000Z', to: '2026-11-27T10:00:00.000Z', jobCodes: null, resolutionSeconds: 1172 });
        await fetchData(CronkeeperTimeline.QUERY, { from: '2026-11-27T09:00:00.000Z', to: '2026-11-27T10:00:00.000Z', jobCodes: ['a'] });
    } finally {
        delete global.fetch;
    }
    assert.match(asked[0], /[?&]view=spans&resolutionSeconds=1172(&|$)/);
    assert.doesNotMatch(asked[1], /view=|resolutionSeconds|query/);
    assert.match(asked[1], /jobCodes%5B%5D=a|jobCodes\[\]=a/);
});
