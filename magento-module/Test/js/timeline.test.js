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
    assert.match(CronkeeperTimeline.SPANS_QUERY, /spanColumns \{ status start end count firstRunId lastRunId \}/);
    assert.doesNotMatch(CronkeeperTimeline.SPANS_QUERY, /\bspans \{/, 'the columns, not a list of span objects');
    assert.doesNotMatch(CronkeeperTimeline.QUERY, /spans|spanColumns/);
});

test('span columns become the span objects the drawing code reads', () => {
    const { spansOfColumns } = CronkeeperTimeline.layout;
    const columns = {
        status: ['SUCCEEDED', 'FAILED'],
        start: ['2026-11-27T10:00:00Z', '2026-11-27T10:30:00Z'],
        end: ['2026-11-27T10:20:00Z', '2026-11-27T10:30:05Z'],
        count: [20, 1],
        firstRunId: ['7', '31'],
        lastRunId: ['30', '31'],
    };
    assert.deepEqual(spansOfColumns(columns), [
        { status: 'SUCCEEDED', start: '2026-11-27T10:00:00Z', end: '2026-11-27T10:20:00Z', count: 20, firstRunId: '7', lastRunId: '30' },
        { status: 'FAILED', start: '2026-11-27T10:30:00Z', end: '2026-11-27T10:30:05Z', count: 1, firstRunId: '31', lastRunId: '31' },
    ]);
    assert.deepEqual(spansOfColumns({ status: [], start: [], end: [], count: [], firstRunId: [], lastRunId: [] }), []);
    assert.throws(() => spansOfColumns({ ...columns, count: [20] }), /spans in the response are malformed \(count\)/);
    assert.throws(() => spansOfColumns({ ...columns, lastRunId: undefined }), /malformed \(lastRunId\)/);
});

test('every job of the page is a row, in its order, empty when it has no runs in the window', () => {
    const { rowsOfPage } = CronkeeperTimeline.layout;
    const columns = { status: ['FAILED'], start: ['2026-11-27T10:00:00Z'], end: ['2026-11-27T10:00:01Z'], count: [1], firstRunId: ['5'], lastRunId: ['5'] };
    const run = { id: '9', status: 'SUCCEEDED' };
    assert.deepEqual(rowsOfPage(['a', 'b', 'c'], [{ jobCode: 'c', runs: [run] }, { jobCode: 'a', spanColumns: columns }]), [
        { jobCode: 'a', spans: [{ status: 'FAILED', start: '2026-11-27T10:00:00Z', end: '2026-11-27T10:00:01Z', count: 1, firstRunId: '5', lastRunId: '5' }] },
        { jobCode: 'b', runs: [] },
        { jobCode: 'c', runs: [run] },
    ]);
    assert.deepEqual(rowsOfPage([], [{ jobCode: 'not_on_the_page', runs: [run] }]), [], 'only the page\'s jobs');
});

test('the pager label groups thousands', () => {
    const { pageLabel } = CronkeeperTimeline.layout;
    assert.equal(pageLabel(1, 3, 7), 'Jobs 1\u20133 of 7');
    assert.equal(pageLabel(1001, 50, 10000), 'Jobs 1,001\u20131,050 of 10,000');
    assert.equal(pageLabel(1234551, 50, 1234600), 'Jobs 1,234,551\u20131,234,600 of 1,234,600');
});

test('a page holds 50 jobs unless told otherwise, never more than 200', () => {
    const { pageSize } = CronkeeperTimeline.layout;
    assert.equal(CronkeeperTimeline.PAGE_SIZE, 50);
    assert.equal(pageSize(undefined), 50);
    assert.equal(pageSize('abc'), 50);
    assert.equal(pageSize(0), 50);
    assert.equal(pageSize(20), 20);
    assert.equal(pageSize(10000), 200);
    assert.match(CronkeeperTimeline.JOBS_QUERY, /jobs\(filter: \$filter, first: \$first, after: \$after\)/);
    assert.match(CronkeeperTimeline.JOBS_QUERY, /pageInfo \{ hasNextPage endCursor \}/);
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

test('the proxy is told a page of jobs as view=jobs with its cursor, search and codes', async () => {
    const asked = [];
    global.fetch = async (url) => {
        asked.push(url);
        return { status: 200, text: async () => JSON.stringify({ data: { jobs: { totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, nodes: [] } } }) };
    };
    try {
        const fetchData = CronkeeperTimeline.proxy('/timeline/data');
        const data = await fetchData(CronkeeperTimeline.JOBS_QUERY, { filter: {}, first: 50, after: null });
        assert.equal(data.jobs.totalCount, 0);
        await fetchData(CronkeeperTimeline.JOBS_QUERY, { filter: { search: 'sales & co', codes: ['a', 'b'] }, first: 20, after: 'bzo0OQ' });
    } finally {
        delete global.fetch;
    }
    assert.equal(asked[0], '/timeline/data?isAjax=true&view=jobs&first=50');
    assert.equal(asked[1], '/timeline/data?isAjax=true&view=jobs&first=20&after=bzo0OQ&search=sales%20%26%20co&jobCodes[]=a&jobCodes[]=b');
});
