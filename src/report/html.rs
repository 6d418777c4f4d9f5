//! `index.html`: one static page (no JavaScript, no network) showing every chart and the
//! summary table, so a results directory can be opened in a browser or attached to a report.

use super::figure::Figure;
use super::table::Table;
use std::fmt::Write;

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The summary table of a page.
pub(crate) enum SummaryTable<'a> {
    /// A run's one-row `summary.csv`, shown as metric / value rows.
    Run(&'a Table),
    /// A sweep's `summary.csv`: one row per point, its parameters, then `mean [ci_low,
    /// ci_high]` of each headline metric.
    Sweep {
        table: &'a Table,
        params: Vec<&'a str>,
        metrics: Vec<&'a str>,
    },
}

/// The page for `source` (the directory plotted), its figures (each written as
/// `<name>.<ext>` for every extension in `exts`, the first one shown) and its table.
pub(crate) fn page(
    source: &str,
    figures: &[Figure],
    exts: &[&str],
    table: &SummaryTable,
) -> String {
    let mut h = String::new();
    let title = format!("marketsim results: {source}");
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n\
         <style>body{{font-family:sans-serif;max-width:1400px;margin:2em auto;padding:0 1em;color:#222}}\
         img{{max-width:100%;border:1px solid #ddd}}table{{border-collapse:collapse;font-size:0.9em}}\
         td,th{{border:1px solid #ccc;padding:0.2em 0.5em;text-align:right}}th{{background:#f3f3f3}}\
         td:first-child,th:first-child{{text-align:left}}.wide{{overflow-x:auto}}</style>\n</head>\n<body>\n\
         <h1>{}</h1>\n<p>Made by <code>marketsim plot</code>. Charts: ",
        esc(&title),
        esc(&title)
    );
    let links: Vec<String> = figures
        .iter()
        .map(|f| format!("<a href=\"#{}\">{}</a>", esc(&f.name), esc(&f.name)))
        .collect();
    let _ = writeln!(
        h,
        "{}; <a href=\"#summary\">summary table</a>.</p>",
        links.join(", ")
    );
    for f in figures {
        let main = format!("{}.{}", f.name, exts[0]);
        let _ = writeln!(
            h,
            "<h2 id=\"{}\">{}</h2>\n<p>{}</p>\n<p><img src=\"{}\" alt=\"{}\"></p>",
            esc(&f.name),
            esc(&f.title),
            esc(&f.caption),
            esc(&main),
            esc(&f.title)
        );
        if exts.len() > 1 {
            let others: Vec<String> = exts[1..]
                .iter()
                .map(|e| format!("<a href=\"{0}.{1}\">{1}</a>", esc(&f.name), e))
                .collect();
            let _ = writeln!(h, "<p>Also as {}.</p>", others.join(", "));
        }
    }
    let _ = writeln!(
        h,
        "<h2 id=\"summary\">Summary table</h2>\n<div class=\"wide\">"
    );
    match table {
        SummaryTable::Run(t) => {
            let _ = writeln!(
                h,
                "<p>From <code>{}</code>.</p>\n<table>\n<tr><th>metric</th><th>value</th></tr>",
                esc(&t.path().display().to_string())
            );
            for (name, value) in t.header().iter().zip(&t.rows()[0]) {
                let _ = writeln!(h, "<tr><td>{}</td><td>{}</td></tr>", esc(name), esc(value));
            }
        }
        SummaryTable::Sweep {
            table,
            params,
            metrics,
        } => {
            let _ = writeln!(
                h,
                "<p>From <code>{}</code>: the mean over replicates and its 95% confidence \
                 interval [low, high].</p>\n<table>\n<tr><th>point</th>",
                esc(&table.path().display().to_string())
            );
            for p in params.iter().chain(metrics) {
                let _ = write!(h, "<th>{}</th>", esc(p));
            }
            let _ = writeln!(h, "</tr>");
            let cell = |row: &[String], name: &str| {
                table.column(name).map_or(String::new(), |c| row[c].clone())
            };
            for row in table.rows() {
                let _ = write!(h, "<tr><td>{}</td>", esc(&cell(row, "point_id")));
                for p in params {
                    let _ = write!(h, "<td>{}</td>", esc(&cell(row, p)));
                }
                for m in metrics {
                    let short = |name: String| {
                        cell(row, &name)
                            .parse::<f64>()
                            .map_or(String::new(), |v| format!("{v:.4}"))
                    };
                    let mean = short(format!("{m}_mean"));
                    let (lo, hi) = (short(format!("{m}_ci_low")), short(format!("{m}_ci_high")));
                    let ci = if lo.is_empty() {
                        String::new()
                    } else {
                        format!(" [{lo}, {hi}]")
                    };
                    let _ = write!(h, "<td>{}</td>", esc(&format!("{mean}{ci}")));
                }
                let _ = writeln!(h, "</tr>");
            }
        }
    }
    h.push_str("</table>\n</div>\n</body>\n</html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(esc("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
    }
}
