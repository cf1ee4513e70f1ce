//! The lab's pictures, drawn with plotters' SVG backend (no system fonts needed).

use super::LabReport;
use anyhow::{Result, anyhow};
use plotters::prelude::*;
use std::path::Path;

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("cannot draw a chart: {e:?}")
}

const MEASURED: RGBColor = RGBColor(0xd9, 0x5f, 0x02);
const IDEAL: RGBColor = RGBColor(0x88, 0x88, 0x88);
const AMDAHL: RGBColor = RGBColor(0x1b, 0x9e, 0x77);
const THREADS: RGBColor = RGBColor(0x75, 0x70, 0xb3);

/// Speedup over 1..N rayon threads against the ideal line and Amdahl's curve.
pub fn speedup(r: &LabReport, path: &Path) -> Result<()> {
    let c = &r.cpu;
    let max_threads = c.rayon.iter().map(|p| p.threads).max().unwrap_or(1).max(2) as f64;
    let root = SVGBackend::new(path, (640, 420)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Speedup of a CPU-bound job on your machine",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(48)
        .build_cartesian_2d(0.8f64..max_threads + 0.2, 0f64..max_threads + 0.5)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("rayon threads")
        .y_desc("speedup over sequential")
        .x_labels(max_threads as usize + 1)
        // Thread counts are whole numbers: label only those ticks.
        .x_label_formatter(&|x| {
            if x.fract().abs() < 1e-9 {
                format!("{x:.0}")
            } else {
                String::new()
            }
        })
        .draw()
        .map_err(err)?;
    chart
        .draw_series(LineSeries::new(
            [(1.0, 1.0), (max_threads, max_threads)],
            IDEAL.stroke_width(2),
        ))
        .map_err(err)?
        .label("ideal: speedup = threads")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], IDEAL.stroke_width(2)));
    let steps = 50;
    chart
        .draw_series(LineSeries::new(
            (0..=steps).map(|i| {
                let t = 1.0 + (max_threads - 1.0) * i as f64 / steps as f64;
                (t, 1.0 / (c.serial_fraction + (1.0 - c.serial_fraction) / t))
            }),
            AMDAHL.stroke_width(2),
        ))
        .map_err(err)?
        .label(format!(
            "Amdahl's limit ({:.0}% serial)",
            c.serial_fraction * 100.0
        ))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], AMDAHL.stroke_width(2)));
    chart
        .draw_series(LineSeries::new(
            c.rayon.iter().map(|p| (p.threads as f64, p.speedup)),
            MEASURED.stroke_width(3),
        ))
        .map_err(err)?
        .label("measured (rayon, median)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], MEASURED.stroke_width(3)));
    chart
        .draw_series(
            c.rayon
                .iter()
                .map(|p| Circle::new((p.threads as f64, p.speedup), 4, MEASURED.filled())),
        )
        .map_err(err)?;
    chart
        .draw_series([Cross::new(
            (c.std_threads_count as f64, c.std_threads_speedup),
            6,
            THREADS.stroke_width(2),
        )])
        .map_err(err)?
        .label("std threads, one chunk each")
        .legend(|(x, y)| Cross::new((x + 10, y), 5, THREADS.stroke_width(2)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// A label, a colour and the points of one line.
type Series = (&'static str, RGBColor, Vec<(f64, f64)>);

/// Time to finish N waits, one after another, a thread each, a task each (log-log).
pub fn waits(r: &LabReport, path: &Path) -> Result<()> {
    let rows = &r.waits.rows;
    let max_jobs = rows.iter().map(|w| w.jobs).max().unwrap_or(10) as f64;
    let max_ms = rows
        .iter()
        .flat_map(|w| [w.sequential.as_ref(), w.threads.as_ref(), Some(&w.tasks)])
        .flatten()
        .map(|s| s.median_ms)
        .fold(1.0, f64::max);
    let root = SVGBackend::new(path, (640, 420)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("Finishing N waits of {} ms", r.waits.wait_ms),
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(
            (5f64..max_jobs * 2.0).log_scale(),
            (1f64..max_ms * 3.0).log_scale(),
        )
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("jobs")
        .y_desc("total time (ms)")
        .draw()
        .map_err(err)?;
    let series: [Series; 3] = [
        (
            "one after another",
            IDEAL,
            rows.iter()
                .filter_map(|w| w.sequential.as_ref().map(|s| (w.jobs as f64, s.median_ms)))
                .collect(),
        ),
        (
            "one OS thread each",
            THREADS,
            rows.iter()
                .filter_map(|w| w.threads.as_ref().map(|s| (w.jobs as f64, s.median_ms)))
                .collect(),
        ),
        (
            "one tokio task each",
            MEASURED,
            rows.iter()
                .map(|w| (w.jobs as f64, w.tasks.median_ms))
                .collect(),
        ),
    ];
    for (label, color, points) in series {
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(3)))
            .map_err(err)?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3))
            });
        chart
            .draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, 4, color.filled())),
            )
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// Which thread computed which piece, when (one std-threads run).
pub fn timeline(r: &LabReport, path: &Path) -> Result<()> {
    let spans = &r.cpu.timeline;
    let lanes = spans.iter().map(|s| s.lane).max().unwrap_or(0) + 1;
    let end = spans.iter().map(|s| s.end_ms).fold(1.0, f64::max);
    let root = SVGBackend::new(path, (640, 120 + 40 * lanes as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "One run on std threads: who computed what, when",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..end * 1.02, 0f64..lanes as f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(lanes)
        .y_label_formatter(&|y| format!("thread {}", *y as usize))
        .x_desc("time (ms)")
        .draw()
        .map_err(err)?;
    chart
        .draw_series(spans.iter().map(|s| {
            let color = if s.serial { IDEAL } else { MEASURED };
            let lane = s.lane as f64;
            Rectangle::new(
                [(s.start_ms, lane + 0.2), (s.end_ms, lane + 0.8)],
                color.filled(),
            )
        }))
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}
