/**
 * Cronkeeper timeline: a row per job, a block per run coloured by its status, on a time axis with zoom
 * (1 h, 6 h, 24 h, 7 d), hover details, click through to the run and live refresh.
 *
 * The rows are one page of jobs (JOBS_QUERY: `pageSize` codes in code order, narrowed by the filter box),
 * and only those jobs' runs are asked for: a shop with 10,000 jobs would otherwise pull every run of every
 * job (megabytes, seconds) to draw a screenful. Previous / Next walk the pages.
 *
 * At 1 h and 6 h every run is a block (QUERY). At 24 h and 7 d a window holds more runs than a row has
 * pixels (a day of an every-minute job is 1,440 runs), so the service folds them (SPANS_QUERY): runs of
 * one status less than SPAN_PX pixels apart become one block, with their count in the details. A span
 * never mixes statuses, so a failure is always a block of its own; it is drawn above its neighbours.
 * The spans come as parallel lists (`spanColumns`, cheaper to produce and parse than thousands of
 * objects) and are turned back into span objects in spansOfColumns(), the one place that knows.
 *
 * One self-contained file with no dependencies, so it runs both in the Magento admin (as a RequireJS
 * module called by x-magento-init with (config, element)) and on a plain page (window.CronkeeperTimeline).
 *
 * It never talks to the network by itself: it calls `fetch(query, variables)`, given by the host page,
 * which must resolve to GraphQL `data`. Two ready-made ones are exported:
 *   - CronkeeperTimeline.graphQl(url, headers): POSTs {query, variables} to a cronkeeper /graphql endpoint;
 *   - CronkeeperTimeline.proxy(url): GETs the Magento module's cronkeeper/timeline/data controller, which
 *     runs the same query with a token minted server-side (the JWT secret never reaches the browser).
 *
 * Options (config):
 *   fetch          function(query, variables) -> Promise<data>; or one of:
 *   dataUrl        the Magento proxy URL (uses proxy(dataUrl))
 *   graphqlUrl     a /graphql URL, with `token` for the Authorization header (uses graphQl())
 *   runUrl         link to a run, `{id}` replaced by the run id (default: none, blocks are not links)
 *   zoom           '1h' | '6h' | '24h' | '7d' (default '6h')
 *   refreshSeconds live refresh interval; 0 turns it off (default 30)
 *   jobCodes       only these jobs (default: every job, a page at a time)
 *   pageSize       jobs per page (default 50, at most 200)
 *   timeZone       IANA zone for the axis and the details (default: the browser's)
 */
(function (root, factory) {
    'use strict';
    if (typeof define === 'function' && define.amd) {
        define([], factory);
    } else if (typeof module === 'object' && module.exports) {
        module.exports = factory();
    } else {
        root.CronkeeperTimeline = factory();
    }
}(typeof self !== 'undefined' ? self : this, function () {
    'use strict';

    /* Kept identical to Model/GraphQl/Queries::TIMELINE (a unit test compares them): the Magento proxy
       runs its own copy, so the browser cannot send it any other operation. */
    var QUERY = 'query Timeline($from: DateTime!, $to: DateTime!, $jobCodes: [String!]) {\n' +
        '  timeline(from: $from, to: $to, jobCodes: $jobCodes) {\n' +
        '    jobCode\n' +
        '    runs { id jobCode lane status trigger attempt scheduledAt startedAt finishedAt durationMs exitCode error count killRequested }\n' +
        '  }\n' +
        '}';

    /* Kept identical to Model/GraphQl/Queries::TIMELINE_SPANS, for the same reason. */
    var SPANS_QUERY = 'query TimelineSpans($from: DateTime!, $to: DateTime!, $jobCodes: [String!], $resolutionSeconds: Int) {\n' +
        '  timeline(from: $from, to: $to, jobCodes: $jobCodes, resolutionSeconds: $resolutionSeconds) {\n' +
        '    jobCode\n' +
        '    spanColumns { status start end count firstRunId lastRunId }\n' +
        '  }\n' +
        '}';

    /* Kept identical to Model/GraphQl/Queries::TIMELINE_JOBS: the codes of one page of jobs (in code
       order), whose runs the timeline then asks for. */
    var JOBS_QUERY = 'query TimelineJobs($filter: JobFilter, $first: Int, $after: String) {\n' +
        '  jobs(filter: $filter, first: $first, after: $after) {\n' +
        '    totalCount\n' +
        '    pageInfo { hasNextPage endCursor }\n' +
        '    nodes { code }\n' +
        '  }\n' +
        '}';

    /* Jobs per page: a screenful of 26 px rows on a large monitor (about 1,300 px), and the service's own
       default page; 50 busy jobs at 24 h are a few hundred spans, an answer of tens of kilobytes. The proxy
       accepts at most MAX_PAGE_SIZE (TimelineRequest). */
    var PAGE_SIZE = 50;
    var MAX_PAGE_SIZE = 200;
    /* Typing in the filter asks the service again once the keys rest this long. */
    var FILTER_DELAY_MS = 250;

    /* At the folded zooms, runs of one status closer than this many pixels are drawn as one block. */
    var SPAN_PX = 16;
    /* The track width assumed while the component is not laid out yet (a 1,400 px admin page). */
    var DEFAULT_TRACK_PX = 1180;

    var MINUTE = 60000, HOUR = 60 * MINUTE, DAY = 24 * HOUR;

    /* span: the window's length; tick: the axis step; the window ends `ahead` after now, so runs
       due soon (retries waiting out their backoff) show too; folded: asks for spans, not runs. */
    var ZOOMS = {
        '1h': {label: '1 h', span: HOUR, tick: 10 * MINUTE, ahead: 5 * MINUTE, folded: false},
        '6h': {label: '6 h', span: 6 * HOUR, tick: HOUR, ahead: 30 * MINUTE, folded: false},
        '24h': {label: '24 h', span: DAY, tick: 3 * HOUR, ahead: 2 * HOUR, folded: true},
        '7d': {label: '7 d', span: 7 * DAY, tick: DAY, ahead: 12 * HOUR, folded: true}
    };

    /* Every RunStatus of graphql/schema.graphql, with the label and colour the timeline shows. */
    var STATUSES = {
        PENDING: {label: 'Scheduled', color: '#8fa3b8'},
        QUEUED: {label: 'Queued', color: '#4a6fa5'},
        RUNNING: {label: 'Running', color: '#1a8fe3'},
        SUCCEEDED: {label: 'Succeeded', color: '#2e9e48'},
        FAILED: {label: 'Failed', color: '#d62728'},
        TIMED_OUT: {label: 'Timed out', color: '#f07f09'},
        KILLED: {label: 'Killed', color: '#7b3fa0'},
        INTERRUPTED: {label: 'Interrupted', color: '#8c564b'},
        MISSED: {label: 'Missed', color: '#e0b000'},
        SKIPPED: {label: 'Skipped', color: '#b8b8b8'}
    };
    var UNKNOWN = {label: 'Unknown', color: '#444444'};
    /* Not started yet: drawn as an outlined marker at the due time instead of a solid block. */
    var WAITING = {PENDING: true, QUEUED: true};
    /* Drawn above the blocks around them, so a folded stretch of successes never covers one. */
    var ALERTING = {FAILED: true, TIMED_OUT: true, KILLED: true, INTERRUPTED: true, MISSED: true};

    var CSS = [
        '.ck-tl{font:13px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#303030;position:relative}',
        '.ck-tl-toolbar{display:flex;align-items:center;gap:12px;margin:0 0 8px}',
        '.ck-tl-zoom button,.ck-tl-refresh{border:1px solid #adadad;background:#f8f8f8;padding:4px 10px;cursor:pointer;font:inherit}',
        '.ck-tl-zoom button[aria-pressed=true]{background:#514943;color:#fff;border-color:#514943}',
        '.ck-tl-zoom button+button{margin-left:-1px}',
        '.ck-tl-updated{color:#6b6b6b}',
        '.ck-tl-pager{display:flex;align-items:center;gap:6px}',
        '.ck-tl-pager button{border:1px solid #adadad;background:#f8f8f8;padding:4px 10px;cursor:pointer;font:inherit}',
        '.ck-tl-pager button:disabled{cursor:default;color:#adadad}',
        '.ck-tl-page{color:#6b6b6b;white-space:nowrap}',
        '.ck-tl-filter{border:1px solid #adadad;padding:4px 8px;font:inherit;min-width:180px}',
        '.ck-tl-error{background:#fae5e5;color:#7a1c1c;border:1px solid #e22626;padding:6px 10px;margin:0 0 8px}',
        '.ck-tl-legend{display:flex;flex-wrap:wrap;gap:10px;margin:0 0 8px}',
        '.ck-tl-legend span{display:inline-flex;align-items:center;gap:4px}',
        '.ck-tl-legend i{display:inline-block;width:12px;height:12px;border-radius:2px}',
        '.ck-tl-grid{position:relative;border:1px solid #d6d6d6;background:#fff}',
        '.ck-tl-row{display:flex;border-top:1px solid #eee;height:26px}',
        '.ck-tl-axis{display:flex;height:24px;background:#f5f5f5}',
        '.ck-tl-job{flex:0 0 220px;padding:0 8px;line-height:26px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;border-right:1px solid #d6d6d6}',
        '.ck-tl-track{flex:1 1 auto;position:relative;overflow:hidden}',
        '.ck-tl-tick{position:absolute;top:0;bottom:0;border-left:1px solid #ddd;padding-left:3px;font-size:11px;line-height:24px;color:#6b6b6b;white-space:nowrap}',
        '.ck-tl-gridline{position:absolute;top:0;bottom:0;border-left:1px solid #f0f0f0}',
        '.ck-tl-now-layer{position:absolute;top:0;bottom:0;right:0;pointer-events:none}',
        '.ck-tl-now-layer[hidden],.ck-tl-empty[hidden]{display:none}',
        '.ck-tl-now{position:absolute;top:0;bottom:0;border-left:2px solid #e22626;pointer-events:none}',
        '.ck-tl-run{position:absolute;top:4px;height:18px;min-width:4px;border-radius:2px;box-sizing:border-box;display:block}',
        '.ck-tl-run:hover,.ck-tl-run:focus{outline:2px solid #303030;z-index:2}',
        '.ck-tl-run.ck-tl-waiting{background:transparent!important;border:2px solid;min-width:8px}',
        '.ck-tl-run.ck-tl-alert{z-index:1}',
        '.ck-tl-run.ck-tl-running{background-image:repeating-linear-gradient(45deg,rgba(255,255,255,.25) 0 4px,transparent 4px 8px)}',
        '.ck-tl-tooltip{position:absolute;z-index:10;background:#303030;color:#fff;padding:6px 9px;border-radius:3px;font-size:12px;max-width:420px;pointer-events:none;box-shadow:0 2px 6px rgba(0,0,0,.3)}',
        '.ck-tl-tooltip dl{margin:0;display:grid;grid-template-columns:auto auto;gap:0 10px}',
        '.ck-tl-tooltip dt{color:#c9c9c9}',
        '.ck-tl-tooltip dd{margin:0;word-break:break-word}',
        '.ck-tl-empty{padding:16px;color:#6b6b6b}'
    ].join('\n');

    function injectStyle(doc) {
        if (doc.getElementById('ck-tl-style')) {
            return;
        }
        var style = doc.createElement('style');
        style.id = 'ck-tl-style';
        style.textContent = CSS;
        doc.head.appendChild(style);
    }

    function el(doc, tag, className, text) {
        var node = doc.createElement(tag);
        if (className) {
            node.className = className;
        }
        if (text !== undefined && text !== null) {
            node.textContent = String(text);
        }
        return node;
    }

    function parseTime(value) {
        if (!value) {
            return null;
        }
        var t = Date.parse(value);
        return isNaN(t) ? null : t;
    }

    function statusInfo(status) {
        return STATUSES[status] || UNKNOWN;
    }

    /** Where a run sits on the axis, in ms: [start, end]; end is now while it runs. */
    function runExtent(run, now) {
        var scheduled = parseTime(run.scheduledAt);
        var started = parseTime(run.startedAt);
        var finished = parseTime(run.finishedAt);
        var start = started !== null ? started : scheduled;
        var end = finished !== null ? finished : (run.status === 'RUNNING' ? now : start);
        if (end < start) {
            end = start;
        }
        return [start, end];
    }

    /**
     * `spanColumns` (parallel lists, entry i of each is span i) back into the span objects the drawing
     * code reads: {status, start, end, count, firstRunId, lastRunId}.
     */
    function spansOfColumns(columns) {
        var fields = ['status', 'start', 'end', 'count', 'firstRunId', 'lastRunId'];
        var length = columns && Array.isArray(columns.status) ? columns.status.length : 0;
        fields.forEach(function (field) {
            if (!columns || !Array.isArray(columns[field]) || columns[field].length !== length) {
                throw TimelineError('The spans in the response are malformed (' + field + ').');
            }
        });
        var spans = new Array(length);
        for (var i = 0; i < length; i++) {
            spans[i] = {status: columns.status[i], start: columns.start[i], end: columns.end[i], count: columns.count[i],
                firstRunId: columns.firstRunId[i], lastRunId: columns.lastRunId[i]};
        }
        return spans;
    }

    /** Where a span sits on the axis, in ms: [start, end]. */
    function spanExtent(span) {
        var start = parseTime(span.start), end = parseTime(span.end);
        return [start, end === null || end < start ? start : end];
    }

    /**
     * The resolutionSeconds to ask for: the time SPAN_PX pixels stand for on a track `trackPx` wide
     * (whole seconds, at least 1).
     */
    function resolutionSeconds(spanMs, trackPx) {
        var px = trackPx > 0 ? trackPx : DEFAULT_TRACK_PX;
        return Math.max(1, Math.ceil(spanMs / px * SPAN_PX / 1000));
    }

    /* One formatter per zone: building an Intl.DateTimeFormat costs far more than using one. */
    var partsFormatters = {};

    /** Offset of `zone` (the browser's when none) from UTC at instant t, in ms; 0 for an unknown zone. */
    function zoneOffset(t, zone) {
        if (!zone || typeof Intl === 'undefined') {
            return -new Date(t).getTimezoneOffset() * MINUTE;
        }
        try {
            if (!partsFormatters[zone]) {
                partsFormatters[zone] = new Intl.DateTimeFormat('en-US', {
                    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
                    hour: '2-digit', minute: '2-digit', second: '2-digit'
                });
            }
            var parts = partsFormatters[zone].formatToParts(new Date(t));
            var p = {};
            parts.forEach(function (part) { p[part.type] = part.value; });
            var asUtc = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour % 24, +p.minute, +p.second);
            return asUtc - Math.floor(t / 1000) * 1000;
        } catch (e) {
            return 0;
        }
    }

    /**
     * Tick instants inside [from, to], on round local times of the zone (local midnight for day steps).
     * Each tick is re-aligned with the zone's offset at that tick, so a week that crosses a daylight
     * saving change still has its ticks at midnight.
     */
    function ticks(from, to, step, zone) {
        var out = [];
        // The first instant at or after t whose local time (with the zone's offset at that very instant)
        // is a multiple of step. Across a DST change the offsets at t and further on differ: try both.
        var align = function (t) {
            var best = null;
            [zoneOffset(t, zone), zoneOffset(t + step, zone)].forEach(function (offset) {
                var at = Math.ceil((t + offset) / step) * step - offset;
                for (var i = 0; i < 2; i++, at += step) {
                    if (zoneOffset(at, zone) === offset && (best === null || at < best)) {
                        best = at;
                        break;
                    }
                }
            });
            return best === null ? t + step : best;
        };
        for (var t = align(from); t <= to; t = align(t + 1)) {
            out.push(t);
        }
        return out;
    }

    function formatter(zone, withDate, withSeconds) {
        var opts = {hour: '2-digit', minute: '2-digit', hourCycle: 'h23'};
        if (withSeconds) {
            opts.second = '2-digit';
        }
        if (withDate) {
            opts.month = 'short';
            opts.day = 'numeric';
        }
        if (zone) {
            opts.timeZone = zone;
        }
        try {
            return new Intl.DateTimeFormat(undefined, opts);
        } catch (e) {
            delete opts.timeZone;
            return new Intl.DateTimeFormat(undefined, opts);
        }
    }

    /* Counts with thousands separators; the label around them is English, so are the separators. */
    var countFormat = new Intl.NumberFormat('en-US');

    /** The pager's label: "Jobs 1,001–1,050 of 10,000". */
    function pageLabel(first, shown, total) {
        return 'Jobs ' + countFormat.format(first) + '\u2013' + countFormat.format(first + shown - 1) + ' of ' + countFormat.format(total);
    }

    function formatDuration(ms) {
        if (ms === null || ms === undefined) {
            return null;
        }
        if (ms < 1000) {
            return ms + ' ms';
        }
        var s = Math.round(ms / 1000);
        if (s < 60) {
            return s + ' s';
        }
        var m = Math.floor(s / 60);
        if (m < 60) {
            return m + ' min ' + (s % 60) + ' s';
        }
        return Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
    }

    /** The error a fetch function rejects with: a message and, when the service sent one, its code. */
    function TimelineError(message, code) {
        var error = new Error(message);
        error.code = code || null;
        return error;
    }

    /** Turns a GraphQL response body into `data`, or throws the first error with its code. */
    function unwrap(body) {
        if (!body || typeof body !== 'object') {
            throw TimelineError('The response was not JSON.');
        }
        if (body.ajaxExpired) {
            // Magento's answer to an AJAX request (isAjax) from a session that has expired.
            throw TimelineError('Your admin session has expired: reload the page to sign in again.');
        }
        if (body.errors && body.errors.length) {
            var first = body.errors[0] || {};
            throw TimelineError(first.message || 'The request failed.', first.extensions && first.extensions.code);
        }
        if (!body.data) {
            throw TimelineError('The response carried no data.');
        }
        return body.data;
    }

    function readJson(response) {
        return response.text().then(function (text) {
            try {
                return JSON.parse(text);
            } catch (e) {
                // The Magento admin answers a lapsed session with its login page, not JSON.
                throw TimelineError(
                    'Unexpected answer (HTTP ' + response.status + '); reload the page if your session has expired.'
                );
            }
        });
    }

    /** A fetch function for a cronkeeper /graphql endpoint (headers: e.g. {Authorization: 'Bearer …'}). */
    function graphQl(url, headers) {
        return function (query, variables) {
            var all = {'Content-Type': 'application/json', 'Accept': 'application/json'};
            Object.keys(headers || {}).forEach(function (name) { all[name] = headers[name]; });
            return fetch(url, {
                method: 'POST', headers: all, credentials: 'same-origin',
                body: JSON.stringify({query: query, variables: variables})
            }).then(readJson).then(unwrap);
        };
    }

    /**
     * The proxy's parameters for a page of jobs (view=jobs): first, after, search and jobCodes[] (its own
     * copy of Queries::TIMELINE_JOBS takes them as filter.search and filter.codes).
     */
    function jobsParams(variables) {
        var filter = variables.filter || {}, params = ['view=jobs', 'first=' + encodeURIComponent(variables.first)];
        if (variables.after) {
            params.push('after=' + encodeURIComponent(variables.after));
        }
        if (filter.search) {
            params.push('search=' + encodeURIComponent(filter.search));
        }
        (filter.codes || []).forEach(function (code) {
            params.push('jobCodes[]=' + encodeURIComponent(code));
        });
        return params;
    }

    /**
     * A fetch function for the Magento module's proxy controller. It runs its own copies of the three
     * documents; which one is chosen by `view` (jobs, runs or spans), never sent from here.
     */
    function proxy(url) {
        return function (query, variables) {
            // isAjax: Magento then answers an expired session with JSON instead of its login page.
            if (query === JOBS_QUERY) {
                return get(url, ['isAjax=true'].concat(jobsParams(variables)));
            }
            var params = ['isAjax=true', 'from=' + encodeURIComponent(variables.from), 'to=' + encodeURIComponent(variables.to)];
            if (variables.resolutionSeconds) {
                // The proxy runs Queries::TIMELINE_SPANS for this view, never a document from here.
                params.push('view=spans', 'resolutionSeconds=' + encodeURIComponent(variables.resolutionSeconds));
            }
            (variables.jobCodes || []).forEach(function (code) {
                params.push('jobCodes[]=' + encodeURIComponent(code));
            });
            return get(url, params);
        };
    }

    function get(url, params) {
        return fetch(url + (url.indexOf('?') === -1 ? '?' : '&') + params.join('&'), {
            method: 'GET', credentials: 'same-origin',
            headers: {'Accept': 'application/json', 'X-Requested-With': 'XMLHttpRequest'}
        }).then(readJson).then(unwrap);
    }

    function Timeline(element, options) {
        this.element = element;
        this.doc = element.ownerDocument;
        this.options = options;
        this.fetch = options.fetch;
        this.zoom = ZOOMS[options.zoom] ? options.zoom : '6h';
        this.refreshMs = (options.refreshSeconds === undefined ? 30 : Number(options.refreshSeconds)) * 1000;
        this.now = options.now || function () { return Date.now(); };
        this.pageSize = pageSize(options.pageSize);
        // The `after` cursor of every page up to the one shown (the first page has none): Previous
        // steps back through them, Next adds the shown page's endCursor.
        this.cursors = [null];
        this.search = '';
        this.rows = [];
        this.sequence = 0;
        this.loads = 0;
        this.timer = null;
        this.build();
        this.refresh();
        if (this.refreshMs > 0) {
            var self = this;
            this.timer = setInterval(function () {
                // No requests from a tab nobody looks at, and never two at once.
                if (!self.doc.hidden && !self.inFlight) {
                    self.refresh();
                }
            }, this.refreshMs);
        }
    }

    Timeline.prototype.build = function () {
        var doc = this.doc, self = this;
        injectStyle(doc);
        this.element.classList.add('ck-tl');
        this.element.textContent = '';

        var toolbar = el(doc, 'div', 'ck-tl-toolbar');
        var zoom = el(doc, 'div', 'ck-tl-zoom');
        zoom.setAttribute('role', 'group');
        zoom.setAttribute('aria-label', 'Zoom');
        Object.keys(ZOOMS).forEach(function (key) {
            var button = el(doc, 'button', null, ZOOMS[key].label);
            button.type = 'button';
            button.setAttribute('data-zoom', key);
            button.addEventListener('click', function () { self.setZoom(key); });
            zoom.appendChild(button);
        });
        var refresh = el(doc, 'button', 'ck-tl-refresh', 'Refresh');
        refresh.type = 'button';
        refresh.addEventListener('click', function () { self.refresh(); });
        // Asks the service for the jobs matching what is typed (code, description, group or class; any
        // case), from the first page: a shop may have thousands of jobs, the page holds only some.
        this.filter = el(doc, 'input', 'ck-tl-filter');
        this.filter.type = 'search';
        this.filter.placeholder = 'Filter jobs';
        this.filter.setAttribute('aria-label', 'Filter jobs by code');
        var typed = function () {
            clearTimeout(self.filterTimer);
            self.filterTimer = setTimeout(function () { self.refresh(); }, FILTER_DELAY_MS);
        };
        this.filter.addEventListener('input', typed);
        this.filter.addEventListener('change', typed);
        var pager = el(doc, 'div', 'ck-tl-pager');
        pager.setAttribute('role', 'group');
        pager.setAttribute('aria-label', 'Pages of jobs');
        this.previousPage = el(doc, 'button', 'ck-tl-previous', '\u2039 Previous');
        this.previousPage.type = 'button';
        this.previousPage.addEventListener('click', function () { self.turnPage(-1); });
        this.pageLabel = el(doc, 'span', 'ck-tl-page');
        this.nextPage = el(doc, 'button', 'ck-tl-next', 'Next \u203a');
        this.nextPage.type = 'button';
        this.nextPage.addEventListener('click', function () { self.turnPage(1); });
        this.previousPage.disabled = true;
        this.nextPage.disabled = true;
        pager.appendChild(this.previousPage);
        pager.appendChild(this.pageLabel);
        pager.appendChild(this.nextPage);
        this.updated = el(doc, 'span', 'ck-tl-updated');
        toolbar.appendChild(zoom);
        toolbar.appendChild(refresh);
        toolbar.appendChild(this.filter);
        toolbar.appendChild(pager);
        toolbar.appendChild(this.updated);
        this.zoomGroup = zoom;

        this.error = el(doc, 'div', 'ck-tl-error');
        this.error.setAttribute('role', 'alert');
        this.error.hidden = true;

        var legend = el(doc, 'div', 'ck-tl-legend');
        Object.keys(STATUSES).forEach(function (status) {
            var item = el(doc, 'span');
            item.setAttribute('data-status', status);
            var swatch = el(doc, 'i');
            swatch.style.backgroundColor = STATUSES[status].color;
            item.appendChild(swatch);
            item.appendChild(doc.createTextNode(STATUSES[status].label));
            legend.appendChild(item);
        });

        this.grid = el(doc, 'div', 'ck-tl-grid');
        this.tooltip = el(doc, 'div', 'ck-tl-tooltip');
        this.tooltip.setAttribute('role', 'tooltip');
        this.tooltip.hidden = true;

        this.element.appendChild(toolbar);
        this.element.appendChild(this.error);
        this.element.appendChild(legend);
        this.element.appendChild(this.grid);
        this.element.appendChild(this.tooltip);

        // One set of listeners for every block, whatever a refresh redraws.
        this.grid.addEventListener('mouseover', function (e) { self.hover(e); });
        this.grid.addEventListener('mousemove', function (e) { self.hover(e); });
        this.grid.addEventListener('mouseleave', function () { self.tooltip.hidden = true; });
        this.grid.addEventListener('focusin', function (e) { self.hover(e); });
        this.grid.addEventListener('focusout', function () { self.tooltip.hidden = true; });
        this.markZoom();
    };

    Timeline.prototype.window = function () {
        var z = ZOOMS[this.zoom];
        var to = this.now() + z.ahead;
        return {from: to - z.span, to: to};
    };

    Timeline.prototype.markZoom = function () {
        var zoom = this.zoom;
        Array.prototype.forEach.call(this.zoomGroup.querySelectorAll('button'), function (button) {
            button.setAttribute('aria-pressed', button.getAttribute('data-zoom') === zoom ? 'true' : 'false');
        });
        this.element.setAttribute('data-zoom', zoom);
    };

    Timeline.prototype.setZoom = function (key) {
        if (!ZOOMS[key]) {
            throw new Error('Unknown zoom "' + key + '"; use one of ' + Object.keys(ZOOMS).join(', '));
        }
        this.zoom = key;
        this.markZoom();
        return this.refresh();
    };

    /** Shows the jobs matching `text` (empty: every job), from their first page. */
    Timeline.prototype.setSearch = function (text) {
        this.filter.value = String(text || '');
        return this.refresh();
    };

    /** One page forward (1) or back (-1), when there is one. */
    Timeline.prototype.turnPage = function (step) {
        if (step > 0 && this.page && this.page.pageInfo.hasNextPage && this.page.pageInfo.endCursor) {
            this.cursors.push(this.page.pageInfo.endCursor);
        } else if (step < 0 && this.cursors.length > 1) {
            this.cursors.pop();
        } else {
            return Promise.resolve();
        }
        return this.refresh();
    };

    /** The JobFilter of the page query: the typed text and the `jobCodes` option. */
    Timeline.prototype.jobFilter = function () {
        var filter = {};
        if (this.search !== '') {
            filter.search = this.search;
        }
        if (this.options.jobCodes && this.options.jobCodes.length) {
            filter.codes = this.options.jobCodes;
        }
        return filter;
    };

    /** Previous / Next and "Jobs 51–100 of 10,000" for the page shown. */
    Timeline.prototype.showPage = function () {
        var page = this.page, index = this.cursors.length - 1;
        var first = index * this.pageSize + 1, shown = page.nodes.length;
        this.previousPage.disabled = index === 0;
        this.nextPage.disabled = !page.pageInfo.hasNextPage;
        this.pageLabel.textContent = shown === 0 ? (index === 0 ? '' : 'No jobs on this page')
            : pageLabel(first, shown, page.totalCount);
        this.element.setAttribute('data-page', String(index + 1));
        this.element.setAttribute('data-total-jobs', String(page.totalCount));
    };

    /**
     * Fetches the current page of jobs, then the window's runs (or spans) of those jobs only, and
     * redraws; a slower answer for an older request is dropped.
     */
    Timeline.prototype.refresh = function () {
        var self = this, seq = ++this.sequence, win = this.window(), folded = ZOOMS[this.zoom].folded;
        // The filter box as it is now (read here, so no way of changing it is missed): new text starts
        // again from the first page.
        var search = this.filter.value.trim();
        if (search !== this.search) {
            this.search = search;
            this.cursors = [null];
        }
        var pageVariables = {filter: this.jobFilter(), first: this.pageSize, after: this.cursors[this.cursors.length - 1]};
        var variables = {
            from: new Date(win.from).toISOString(),
            to: new Date(win.to).toISOString(),
            jobCodes: null
        };
        if (folded) {
            variables.resolutionSeconds = resolutionSeconds(win.to - win.from, this.trackWidth());
        }
        var page = null;
        this.inFlight = true;
        this.element.setAttribute('data-state', 'loading');
        this.element.setAttribute('data-view', folded ? 'spans' : 'runs');
        return Promise.resolve()
            .then(function () { return self.fetch(JOBS_QUERY, pageVariables); })
            .then(function (data) {
                if (seq !== self.sequence) {
                    return null;
                }
                if (!data || !data.jobs || !Array.isArray(data.jobs.nodes) || !data.jobs.pageInfo) {
                    throw TimelineError('The response has no page of jobs.');
                }
                page = data.jobs;
                variables.jobCodes = page.nodes.map(function (job) { return job.code; });
                // No job, no runs to ask for (and jobCodes: [] would mean every job to nobody).
                return variables.jobCodes.length ? self.fetch(folded ? SPANS_QUERY : QUERY, variables) : {timeline: []};
            })
            .then(function (data) {
                if (seq !== self.sequence) {
                    return;
                }
                if (!data || !Array.isArray(data.timeline)) {
                    throw TimelineError('The response has no timeline.');
                }
                self.rows = rowsOfPage(variables.jobCodes, data.timeline);
                self.page = page;
                self.showPage();
                self.error.hidden = true;
                self.render(win);
                self.loads += 1;
                self.element.setAttribute('data-loads', String(self.loads));
                self.element.setAttribute('data-state', 'ready');
                self.updated.textContent = 'Updated ' + formatter(self.options.timeZone, false, true).format(new Date(self.now()));
            })
            .catch(function (error) {
                if (seq !== self.sequence) {
                    return;
                }
                // Keep what was drawn: a blip of the service should not blank the page.
                self.error.textContent = 'Could not load the timeline: ' + (error && error.message ? error.message : String(error));
                self.error.hidden = false;
                self.element.setAttribute('data-state', 'error');
            })
            .then(function () {
                if (seq === self.sequence) {
                    self.inFlight = false;
                }
            });
    };

    /** `pageSize` as given, within 1..MAX_PAGE_SIZE; PAGE_SIZE when not a number. */
    function pageSize(value) {
        var n = Math.floor(Number(value));
        return isFinite(n) && n >= 1 ? Math.min(n, MAX_PAGE_SIZE) : PAGE_SIZE;
    }

    /**
     * A row for every job of the page, in its order: the timeline's row for it (spans rebuilt from
     * spanColumns), or an empty one when the job has no runs in the window.
     */
    function rowsOfPage(codes, timeline) {
        var byCode = {};
        timeline.forEach(function (row) { byCode[row.jobCode] = row; });
        return codes.map(function (code) {
            var row = byCode[code];
            if (!row) {
                return {jobCode: code, runs: []};
            }
            if (row.spanColumns) {
                return {jobCode: code, spans: spansOfColumns(row.spanColumns)};
            }
            return row;
        });
    }

    /** The drawing width of a row's track in pixels; 0 before the first layout. */
    Timeline.prototype.trackWidth = function () {
        return this.axisTrack ? this.axisTrack.offsetWidth : 0;
    };

    /**
     * What a row draws, as blocks: one per run, or one per span when the row came folded. `key` keeps a
     * block the same element across refreshes; `runId` is the run it links to (a span's latest).
     */
    function blocksOf(row, now) {
        if (Array.isArray(row.spans)) {
            return row.spans.map(function (span) {
                return {key: 'span-' + span.firstRunId + '-' + span.status, runId: span.lastRunId, status: span.status,
                    extent: spanExtent(span), span: span, jobCode: row.jobCode};
            });
        }
        return (row.runs || []).map(function (run) {
            return {key: run.id, runId: run.id, status: run.status, extent: runExtent(run, now), run: run, jobCode: row.jobCode};
        });
    }

    /**
     * Draws the rows for `win`. Rows and blocks are kept by job code and run id from one refresh to the
     * next and only updated, so a block under the pointer or holding the keyboard focus stays the same
     * element while the picture refreshes.
     */
    Timeline.prototype.render = function (win) {
        var doc = this.doc, zone = this.options.timeZone, zoom = ZOOMS[this.zoom];
        var span = win.to - win.from, now = this.now();
        var pct = function (t) { return ((t - win.from) / span * 100).toFixed(4) + '%'; };
        var tickTimes = ticks(win.from, win.to, zoom.tick, zone);
        var tickFormat = formatter(zone, this.zoom === '7d', false);
        var gridlines = function () {
            var layer = el(doc, 'div', 'ck-tl-gridlines');
            tickTimes.forEach(function (t) {
                var line = el(doc, 'div', 'ck-tl-gridline');
                line.style.left = pct(t);
                layer.appendChild(line);
            });
            return layer;
        };

        this.element.setAttribute('data-from', new Date(win.from).toISOString());
        this.element.setAttribute('data-to', new Date(win.to).toISOString());

        if (!this.axis) {
            this.axis = el(doc, 'div', 'ck-tl-axis');
            this.axis.appendChild(el(doc, 'div', 'ck-tl-job', 'Job'));
            this.axisTrack = el(doc, 'div', 'ck-tl-track');
            this.axis.appendChild(this.axisTrack);
            this.grid.appendChild(this.axis);
            this.lines = {};
        }
        this.axisTrack.textContent = '';
        tickTimes.forEach(function (t) {
            // A label squeezed against the right edge would be cut off: keep its line, drop its text.
            var tick = el(doc, 'div', 'ck-tl-tick', (win.to - t) / span > 0.04 ? tickFormat.format(new Date(t)) : '');
            tick.style.left = pct(t);
            tick.setAttribute('data-time', new Date(t).toISOString());
            this.axisTrack.appendChild(tick);
        }, this);

        // The page's jobs, already in code order (the service's); sorted again for hand-written fetches.
        var rows = this.rows.slice().sort(function (a, b) { return a.jobCode < b.jobCode ? -1 : (a.jobCode > b.jobCode ? 1 : 0); });
        var runUrl = this.options.runUrl, byId = {}, keptLines = {}, previous = this.axis;
        rows.forEach(function (row) {
            var line = this.lines[row.jobCode];
            if (!line) {
                line = {node: el(doc, 'div', 'ck-tl-row'), track: el(doc, 'div', 'ck-tl-track'), blocks: {}};
                line.node.setAttribute('data-job-code', row.jobCode);
                var label = el(doc, 'div', 'ck-tl-job', row.jobCode);
                label.title = row.jobCode;
                line.node.appendChild(label);
                line.node.appendChild(line.track);
            }
            if (previous.nextSibling !== line.node) {
                this.grid.insertBefore(line.node, previous.nextSibling);
            }
            previous = line.node;
            keptLines[row.jobCode] = line;

            if (line.track.firstChild && line.track.firstChild.className === 'ck-tl-gridlines') {
                line.track.replaceChild(gridlines(), line.track.firstChild);
            } else {
                line.track.insertBefore(gridlines(), line.track.firstChild);
            }
            var keptBlocks = {};
            blocksOf(row, now).forEach(function (item) {
                var extent = item.extent;
                if (extent[0] === null || extent[1] < win.from || extent[0] > win.to) {
                    return;
                }
                var info = statusInfo(item.status);
                var block = line.blocks[item.key];
                if (!block) {
                    block = el(doc, runUrl ? 'a' : 'span', 'ck-tl-run');
                    if (!runUrl) {
                        block.tabIndex = 0;
                    }
                    block.setAttribute('data-key', item.key);
                    line.track.appendChild(block);
                }
                // A span's latest run changes as it grows: its link and id follow.
                if (runUrl) {
                    block.href = runUrl.replace('{id}', encodeURIComponent(item.runId));
                }
                block.setAttribute('data-run-id', item.runId);
                block.setAttribute('data-status', item.status);
                if (item.span) {
                    block.setAttribute('data-count', String(item.span.count));
                    block.classList.add('ck-tl-span');
                }
                block.setAttribute('aria-label', row.jobCode + ': ' + info.label + (item.span ? ' \u00d7' + item.span.count : ''));
                block.style.left = pct(Math.max(extent[0], win.from));
                block.style.width = ((Math.min(extent[1], win.to) - Math.max(extent[0], win.from)) / span * 100).toFixed(4) + '%';
                block.style.backgroundColor = info.color;
                block.style.borderColor = info.color;
                block.classList.toggle('ck-tl-waiting', !!WAITING[item.status]);
                block.classList.toggle('ck-tl-running', item.status === 'RUNNING');
                block.classList.toggle('ck-tl-alert', !!ALERTING[item.status]);
                keptBlocks[item.key] = block;
                byId[item.key] = item;
            });
            Object.keys(line.blocks).forEach(function (id) {
                if (!keptBlocks[id]) {
                    line.track.removeChild(line.blocks[id]);
                }
            });
            line.blocks = keptBlocks;
        }, this);
        Object.keys(this.lines).forEach(function (code) {
            if (!keptLines[code]) {
                this.grid.removeChild(this.lines[code].node);
            }
        }, this);
        this.lines = keptLines;

        if (!this.empty) {
            this.empty = el(doc, 'div', 'ck-tl-empty', 'No jobs.');
            this.grid.appendChild(this.empty);
        }
        this.empty.textContent = this.search === '' ? 'No jobs.' : 'No job matches "' + this.search + '".';
        this.empty.hidden = rows.length > 0;

        if (!this.nowLayer) {
            // The "now" line spans the tracks only: a layer over the grid minus the job column.
            this.nowLayer = el(doc, 'div', 'ck-tl-now-layer');
            this.nowLine = el(doc, 'div', 'ck-tl-now');
            this.nowLayer.appendChild(this.nowLine);
            this.grid.appendChild(this.nowLayer);
        }
        this.nowLayer.style.left = this.axis.firstChild.offsetWidth + 'px';
        this.nowLayer.hidden = !(now >= win.from && now <= win.to);
        this.nowLine.style.left = pct(now);

        this.blocksByKey = byId;
        // A refresh under a resting pointer keeps the details open, with the run's latest state.
        var shown = this.tooltip.getAttribute('data-key');
        if (!this.tooltip.hidden && shown && byId[shown]) {
            this.fillTooltip(byId[shown]);
        } else {
            this.tooltip.hidden = true;
        }
    };

    Timeline.prototype.hover = function (event) {
        var target = event.target && event.target.closest ? event.target.closest('.ck-tl-run') : null;
        if (!target) {
            this.tooltip.hidden = true;
            return;
        }
        var item = this.blocksByKey && this.blocksByKey[target.getAttribute('data-key')];
        if (!item) {
            return;
        }
        if (this.tooltip.getAttribute('data-key') !== item.key || this.tooltip.hidden) {
            this.fillTooltip(item);
        }
        this.tooltip.hidden = false;
        var box = this.element.getBoundingClientRect();
        var x, y;
        if (event.type === 'focusin') {
            var r = target.getBoundingClientRect();
            x = r.left - box.left;
            y = r.bottom - box.top + 6;
        } else {
            x = event.clientX - box.left + 12;
            y = event.clientY - box.top + 14;
        }
        // Recent runs sit at the right edge: there the details open to the left of the pointer, so
        // they never cover the blocks next to it; and they always stay inside the component.
        var width = this.tooltip.offsetWidth;
        if (x + width > box.width - 4) {
            x = x - width - 24;
        }
        this.tooltip.style.left = Math.max(0, Math.min(x, box.width - width - 4)) + 'px';
        this.tooltip.style.top = y + 'px';
    };

    Timeline.prototype.fillTooltip = function (item) {
        var doc = this.doc, fmt = formatter(this.options.timeZone, true, true), info = statusInfo(item.status);
        var when = function (v) { var t = parseTime(v); return t === null ? null : fmt.format(new Date(t)); };
        var run = item.run, span = item.span, fields;
        if (span) {
            fields = [
                ['Job', item.jobCode],
                ['Status', info.label],
                ['Runs', span.count + (span.count > 1 ? ' in a row, all ' + info.label.toLowerCase() : '')],
                ['From', when(span.start)],
                ['To', when(span.end)],
                ['Latest run', '#' + span.lastRunId]
            ];
        } else {
            fields = [
                ['Job', run.jobCode],
                ['Status', info.label + (run.killRequested ? ' (kill requested)' : '')],
                ['Run', '#' + run.id + (run.attempt > 1 ? ', attempt ' + run.attempt : '') + (run.trigger ? ', ' + String(run.trigger).toLowerCase().replace('_', ' ') : '')],
                ['Lane', run.lane],
                ['Scheduled', when(run.scheduledAt)],
                ['Started', when(run.startedAt)],
                ['Finished', when(run.finishedAt)],
                ['Duration', formatDuration(run.durationMs)],
                ['Exit code', run.exitCode],
                ['Occurrences', run.count > 1 ? run.count : null],
                ['Error', run.error ? (run.error.length > 300 ? run.error.slice(0, 300) + '…' : run.error) : null]
            ];
        }
        var list = el(doc, 'dl');
        fields.forEach(function (field) {
            if (field[1] === null || field[1] === undefined || field[1] === '') {
                return;
            }
            list.appendChild(el(doc, 'dt', null, field[0]));
            list.appendChild(el(doc, 'dd', null, field[1]));
        });
        this.tooltip.textContent = '';
        this.tooltip.appendChild(list);
        this.tooltip.setAttribute('data-key', item.key);
        this.tooltip.setAttribute('data-run-id', item.runId);
    };

    Timeline.prototype.destroy = function () {
        if (this.timer) {
            clearInterval(this.timer);
        }
        clearTimeout(this.filterTimer);
        this.timer = null;
        this.sequence += 1;
        this.element.textContent = '';
    };

    /**
     * Mounts a timeline on `element`. The signature is the one x-magento-init calls a module with.
     */
    function CronkeeperTimeline(config, element) {
        var options = {};
        Object.keys(config || {}).forEach(function (key) { options[key] = config[key]; });
        if (typeof options.fetch !== 'function') {
            if (options.dataUrl) {
                options.fetch = proxy(options.dataUrl);
            } else if (options.graphqlUrl) {
                options.fetch = graphQl(options.graphqlUrl, options.token ? {Authorization: 'Bearer ' + options.token} : {});
            } else {
                throw new Error('CronkeeperTimeline needs `fetch`, `dataUrl` or `graphqlUrl`.');
            }
        }
        if (!element || !element.ownerDocument) {
            throw new Error('CronkeeperTimeline needs an element to draw in.');
        }
        return new Timeline(element, options);
    }

    CronkeeperTimeline.QUERY = QUERY;
    CronkeeperTimeline.SPANS_QUERY = SPANS_QUERY;
    CronkeeperTimeline.JOBS_QUERY = JOBS_QUERY;
    CronkeeperTimeline.PAGE_SIZE = PAGE_SIZE;
    CronkeeperTimeline.STATUSES = STATUSES;
    CronkeeperTimeline.ZOOMS = ZOOMS;
    CronkeeperTimeline.graphQl = graphQl;
    CronkeeperTimeline.proxy = proxy;
    CronkeeperTimeline.Timeline = Timeline;
    /* Pure helpers, exported for Test/js/timeline.test.js. */
    CronkeeperTimeline.layout = {ticks: ticks, runExtent: runExtent, spanExtent: spanExtent, resolutionSeconds: resolutionSeconds,
        zoneOffset: zoneOffset, formatDuration: formatDuration, spansOfColumns: spansOfColumns, rowsOfPage: rowsOfPage,
        pageSize: pageSize, pageLabel: pageLabel};
    return CronkeeperTimeline;
}));
