//! Command-line flags shared by the examples, and the run record each example writes.
//!
//! An example parses [`CommonArgs`] (flattened into its own clap parser), opens
//! a [`Run`], and records every number the book quotes through it. At the end
//! [`Run::finish`] writes two files next to the figures:
//!
//! * `run.json`: everything, machine-readable (crate version, device, threads,
//!   seed, mode, wall times, results);
//! * `run.md`: the same numbers as short markdown snippets, each between
//!   `ANCHOR` comments, so the book pulls them in with
//!   `{{#include ../../figures/<chapter>/run.md:<key>}}` and never types one.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::device::DeviceChoice;
use crate::error::{Error, Result};

/// A table as the book shows it: a header and rows of formatted cells, built by a
/// chapter's experiments and written into `run.md` by its example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Column headers.
    pub header: Vec<&'static str>,
    /// Rows, one string per column.
    pub rows: Vec<Vec<String>>,
}

/// Flags every example accepts.
#[derive(Debug, Clone, clap::Args)]
pub struct CommonArgs {
    /// Small sizes that finish in seconds (used by CI). Writes to
    /// `target/quick/<chapter>` unless `--out` is given, so the committed
    /// full-run figures are left alone.
    #[arg(long)]
    pub quick: bool,
    /// Where candle computes.
    #[arg(long, value_enum, default_value_t = DeviceChoice::Cpu)]
    pub device: DeviceChoice,
    /// Output directory for figures and the run record
    /// (default: `figures/<chapter>`, or `target/quick/<chapter>` with `--quick`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Seed for every random choice the example makes.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

impl CommonArgs {
    /// The output directory for `chapter`.
    pub fn out_dir(&self, chapter: &str) -> PathBuf {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        match (&self.out, self.quick) {
            (Some(dir), _) => dir.clone(),
            (None, false) => root.join("figures").join(chapter),
            (None, true) => root.join("target").join("quick").join(chapter),
        }
    }
}

/// How a number is written in the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fmt {
    /// An integer (rounded).
    Int,
    /// Fixed-point with this many decimals.
    Fixed(usize),
    /// Scientific notation with this many decimals in the mantissa, as Rust writes
    /// it (`2.06e-9`), which reads well in prose and tables.
    Sci(usize),
}

/// Formats `v` the way [`Fmt`] says.
pub fn format_number(v: f64, fmt: Fmt) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    match fmt {
        Fmt::Int => format!("{}", v.round() as i64),
        Fmt::Fixed(d) => format!("{v:.d$}"),
        Fmt::Sci(d) => format!("{v:.d$e}"),
    }
}

#[derive(Debug, Clone, Serialize)]
struct FigureEntry {
    file: String,
    caption: String,
}

/// The record of one example run.
#[derive(Debug)]
pub struct Run {
    chapter: String,
    dir: PathBuf,
    quick: bool,
    seed: u64,
    device: String,
    started: Instant,
    results: Map<String, Value>,
    timings: Vec<(String, f64)>,
    snippets: Vec<(String, String)>,
    figures: Vec<FigureEntry>,
}

impl Run {
    /// Starts the record for `chapter`, creating its output directory.
    ///
    /// `device` is the description of the candle device the run uses
    /// (see [`crate::device::describe`]).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the output directory cannot be created.
    pub fn start(chapter: &str, args: &CommonArgs, device: &str) -> Result<Run> {
        let dir = args.out_dir(chapter);
        std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
            action: "create directory",
            path: dir.display().to_string(),
            source,
        })?;
        Ok(Run {
            chapter: chapter.to_string(),
            dir,
            quick: args.quick,
            seed: args.seed,
            device: device.to_string(),
            started: Instant::now(),
            results: Map::new(),
            timings: Vec::new(),
            snippets: Vec::new(),
            figures: Vec::new(),
        })
    }

    /// Whether this is a `--quick` run.
    pub fn quick(&self) -> bool {
        self.quick
    }

    /// The run's seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The output directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Records a machine-readable result under `key` (JSON only, no snippet).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `value` cannot be written as JSON (a map
    /// with non-string keys, a failing `Serialize` implementation); nothing is
    /// recorded then.
    pub fn record<T: Serialize>(&mut self, key: &str, value: T) -> Result<()> {
        let v = serde_json::to_value(value).map_err(|e| Error::InvalidParameter {
            name: "run record value",
            reason: format!("`{key}` cannot be written as JSON: {e}"),
        })?;
        self.results.insert(key.to_string(), v);
        Ok(())
    }

    /// Records a number and a snippet `key` with its formatted text, for prose.
    ///
    /// Returns the formatted text, so the example can also print it.
    pub fn number(&mut self, key: &str, value: f64, fmt: Fmt) -> String {
        let text = format_number(value, fmt);
        // A non-finite number is recorded as JSON null (JSON has no NaN).
        self.results.insert(key.to_string(), Value::from(value));
        self.snippet(key, text.clone());
        text
    }

    /// Records a snippet of markdown (a sentence, a list) under `key`.
    pub fn snippet(&mut self, key: &str, markdown: impl Into<String>) {
        let md = markdown.into();
        if let Some(slot) = self.snippets.iter_mut().find(|(k, _)| k == key) {
            slot.1 = md;
        } else {
            self.snippets.push((key.to_string(), md));
        }
    }

    /// Records a markdown table under `key` (and its rows in the JSON record).
    pub fn table(&mut self, key: &str, header: &[&str], rows: &[Vec<String>]) {
        let mut md = format!(
            "| {} |\n|{}\n",
            header.join(" | "),
            "---|".repeat(header.len())
        );
        for r in rows {
            md.push_str(&format!("| {} |\n", r.join(" | ")));
        }
        md.pop();
        let json_rows: Vec<Value> = rows
            .iter()
            .map(|r| {
                Value::Object(
                    header
                        .iter()
                        .zip(r)
                        .map(|(h, c)| (h.to_string(), Value::String(c.clone())))
                        .collect::<Map<String, Value>>(),
                )
            })
            .collect();
        self.results
            .insert(key.to_string(), Value::Array(json_rows));
        self.snippet(key, md);
    }

    /// Runs `f`, records its wall time under `label`, and returns its result.
    ///
    /// On an interactive terminal a spinner names the step while it runs and
    /// leaves a line with its wall time; in CI and in logs nothing is drawn.
    pub fn time<T>(&mut self, label: &str, f: impl FnOnce() -> T) -> T {
        let spinner = if interactive() {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
                bar.set_style(style);
            }
            bar.set_message(label.to_string());
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        } else {
            ProgressBar::hidden()
        };
        let t = Instant::now();
        let out = f();
        let secs = t.elapsed().as_secs_f64();
        if !spinner.is_hidden() {
            spinner.finish_and_clear();
            eprintln!("  {label}: {secs:.1} s");
        }
        self.timings.push((label.to_string(), secs));
        out
    }

    /// Registers a figure and returns the path to draw it at.
    ///
    /// The figure list becomes the `figures` snippet, which the book's
    /// "Figures" appendix includes, so that table can never miss a figure.
    pub fn figure(&mut self, file: &str, caption: &str) -> PathBuf {
        self.figures.push(FigureEntry {
            file: file.to_string(),
            caption: caption.to_string(),
        });
        self.dir.join(file)
    }

    /// A progress bar of `len` steps, drawn only on an interactive terminal
    /// outside CI (hidden otherwise, so logs stay clean).
    pub fn progress(&self, len: u64, message: &str) -> ProgressBar {
        if !interactive() {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(len);
        if let Ok(style) =
            ProgressStyle::with_template("{msg:>24} [{bar:30}] {pos}/{len} {elapsed}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(message.to_string());
        bar
    }

    /// Writes `run.json` and `run.md` and prints where they went.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when a file cannot be written; [`Error::Data`] when the
    /// record cannot be serialised as JSON.
    pub fn finish(mut self) -> Result<()> {
        let total = self.started.elapsed().as_secs_f64();
        let threads = candle_core::utils::get_num_threads();
        let command = format!(
            "cargo run --release --example {}{}",
            self.chapter,
            if self.quick { " -- --quick" } else { "" }
        );
        let date = utc_date();
        let mode = if self.quick { "quick" } else { "full" };

        // Snippets every chapter can quote.
        self.snippet(
            "provenance",
            format!(
                "papernotes {} · `{command}` · {mode} mode · device {} · {threads} thread(s) · seed {} · {:.1} s wall time · {date}",
                env!("CARGO_PKG_VERSION"),
                self.device,
                self.seed,
                total
            ),
        );
        let mut timing_rows: Vec<Vec<String>> = self
            .timings
            .iter()
            .map(|(k, t)| vec![k.clone(), format!("{t:.3}")])
            .collect();
        timing_rows.push(vec!["total".into(), format!("{total:.3}")]);
        self.table("timings", &["step", "wall time (s)"], &timing_rows);
        let fig_rows: Vec<Vec<String>> = self
            .figures
            .iter()
            .map(|f| {
                vec![
                    format!("`figures/{}/{}`", self.chapter, f.file),
                    f.caption.clone(),
                    format!("`{command}`"),
                ]
            })
            .collect();
        self.snippet("figures", {
            let mut md = "| figure | shows | made by |\n|---|---|---|\n".to_string();
            for r in &fig_rows {
                md.push_str(&format!("| {} |\n", r.join(" | ")));
            }
            md.pop();
            md
        });

        let record = json!({
            "chapter": self.chapter,
            "crate_version": env!("CARGO_PKG_VERSION"),
            "command": command,
            "mode": mode,
            "device": self.device,
            "threads": threads,
            "seed": self.seed,
            "date": date,
            "wall_time_s": total,
            "timings_s": self.timings.iter().map(|(k, t)| (k.clone(), json!(t))).collect::<Map<_, _>>(),
            "figures": self.figures,
            "results": self.results,
        });
        let json_path = self.dir.join("run.json");
        let text = serde_json::to_string_pretty(&record).map_err(|e| Error::Data(e.to_string()))?;
        write(&json_path, &(text + "\n"))?;

        let mut md = format!(
            "# Run record: {}\n\nWritten by `{command}`; the book includes the snippets below by anchor.\n",
            self.chapter
        );
        for (k, v) in &self.snippets {
            md.push_str(&format!(
                "\n<!-- ANCHOR: {k} -->\n{v}\n<!-- ANCHOR_END: {k} -->\n"
            ));
        }
        let md_path = self.dir.join("run.md");
        write(&md_path, &md)?;
        println!(
            "wrote {} and {} ({total:.1} s)",
            json_path.display(),
            md_path.display()
        );
        Ok(())
    }
}

/// The end of every example's `main`: prints an error in words and turns it into
/// a failing exit status (`fn main() -> ExitCode { report(run()) }`).
pub fn report(result: Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Progress is drawn only on a terminal, and never under CI.
fn interactive() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("CI").is_none()
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|source| Error::Io {
        action: "write",
        path: path.display().to_string(),
        source,
    })
}

/// Today's date in UTC as `YYYY-MM-DD` (civil-from-days, no time-zone database needed).
fn utc_date() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}
