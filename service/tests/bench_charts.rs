//! The benches' SVG chart writer, tested here because bench targets have no
//! test harness: `chart.rs` carries its own unit tests, compiled into this
//! binary. The ignored test redraws the committed pictures of
//! docs/performance.md from the figures that page quotes; a bench run
//! (`cargo bench -p cronkeeper --bench core`) overwrites them with its own.

#[path = "../benches/support/chart.rs"]
mod chart;
#[path = "../benches/support/figures.rs"]
mod figures;

#[test]
fn every_figure_of_the_performance_page_draws_a_well_formed_picture() {
    let note = figures::conditions_now();
    for chart in [
        figures::core_tick(&note, 0.28, 0.68, 13.3, 21.4),
        figures::core_throughput(&note, 424.0, 2048.0),
        figures::core_latency(&note, 6.0, 11.0, 14.0),
        figures::api_runs(&note, (2.01, 5.84), (3.45, 4.54)),
        figures::api_timeline(&note, (251.0, 583.0), (32.0, 102.0)),
    ] {
        let svg = chart.svg();
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{}: {e}", chart.title));
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        assert!(doc.descendants().any(|n| n.attribute("class") == Some("target")), "{}: every figure has a target", chart.title);
    }
}

#[test]
fn charts_go_to_the_pages_images_directory() {
    let dir = figures::images_dir();
    assert!(dir.join("timeline.png").exists(), "{} is docs/images/", dir.display());
}

/// Redraws docs/images/perf-*.svg from the figures quoted in docs/performance.md
/// (the quiet core run of 2026-11-28 09:51 and API run A of 2026-11-27): run it after editing those
/// figures by hand; a bench run replaces the pictures with what it measures.
#[test]
#[ignore = "writes docs/images/; run with --ignored to regenerate"]
fn regenerate_the_committed_charts_from_the_documented_figures() {
    let core = "2026-11-28 09:51 UTC, 2 cores, quiet machine (load 1.1 at end); see docs/performance.md";
    figures::save("core-tick", &figures::core_tick(core, 0.11, 0.19, 2.04, 3.52));
    figures::save("core-throughput", &figures::core_throughput(core, 1317.0, 3597.0));
    figures::save("core-latency", &figures::core_latency(core, 5.0, 8.0, 12.0));
    let api = "2026-11-27, 2 cores, run A (load 1.8 at start, 3.4 at end); see docs/performance.md";
    figures::save("api-runs", &figures::api_runs(api, (2.01, 5.84), (3.45, 4.54)));
    figures::save("api-timeline", &figures::api_timeline(api, (251.0, 583.0), (32.0, 102.0)));
}
