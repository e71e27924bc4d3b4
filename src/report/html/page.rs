//! The page around the sections: header with the run's facts, styles, and
//! the script (sortable table; counts script errors into the page, which the
//! rendering tests read).

use super::{Input, Section};
use crate::params::describe;
use crate::report::svg::esc;
use std::fmt::Write;

const STYLE: &str = "
body{font-family:-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.facts{color:#444;font-size:14px;margin:4px 0}
nav a{margin-right:14px;font-size:14px}
table.settings{border-collapse:collapse;font-size:13px}
table.settings th,table.settings td{padding:3px 8px;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}
table.settings td.p,table.settings th.p{text-align:left}
table.settings th{cursor:pointer;background:#f4f4f4;position:sticky;top:0}
table.settings th.sorted-asc::after{content:' \\25B2'} table.settings th.sorted-desc::after{content:' \\25BC'}
table.settings tr.best td{background:#eef6ee}
td.failed{color:#c9302c} td.notrun{color:#888}
.scroll{max-height:560px;overflow:auto;border:1px solid #eee}
.charts{display:flex;flex-wrap:wrap;gap:12px}
.note{color:#666;font-size:13px;margin:6px 0}
svg text{fill:#333}
";

const SCRIPT: &str = "
(function(){
  function key(td){var v=td.getAttribute('data-v');if(v===null)return td.textContent;var n=parseFloat(v);return isNaN(n)?v:n;}
  document.querySelectorAll('table.settings').forEach(function(table){
    var ths=table.querySelectorAll('th');
    ths.forEach(function(th,col){
      th.addEventListener('click',function(){
        var asc=!th.classList.contains('sorted-asc');
        ths.forEach(function(h){h.classList.remove('sorted-asc','sorted-desc');});
        th.classList.add(asc?'sorted-asc':'sorted-desc');
        var body=table.tBodies[0];var rows=Array.prototype.slice.call(body.rows);
        rows.sort(function(a,b){var x=key(a.cells[col]),y=key(b.cells[col]);
          if(typeof x!==typeof y){x=String(x);y=String(y);}
          return (x<y?-1:x>y?1:0)*(asc?1:-1);});
        rows.forEach(function(r){body.appendChild(r);});
      });
    });
  });
  document.body.setAttribute('data-rendered','1');
})();
";

/// Counts script errors from the first moment, into the body's attribute.
const ERROR_COUNTER: &str = "window.__errors=0;window.addEventListener('error',function(){window.__errors++;if(document.body)document.body.setAttribute('data-js-errors',String(window.__errors));});";

pub fn page(input: &Input, sections: &[Section]) -> String {
    let mut html = String::with_capacity(64 * 1024);
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>gridrun: {}</title>\n<style>{STYLE}</style>\n<script>{ERROR_COUNTER}</script></head>\n<body data-js-errors=\"0\" data-rendered=\"0\">\n",
        esc(&input.name)
    );
    html.push_str(&header(input));
    html.push_str("<nav>");
    for s in sections {
        let _ = write!(html, "<a href=\"#{}\">{}</a>", s.id, esc(&s.title));
    }
    html.push_str("</nav>\n");
    for s in sections {
        let _ = write!(
            html,
            "<section id=\"{}\"><h2>{}</h2>\n{}</section>\n",
            s.id,
            esc(&s.title),
            s.body
        );
    }
    let _ = write!(html, "<script>{SCRIPT}</script>\n</body></html>\n");
    html
}

fn header(input: &Input) -> String {
    let r = input.results;
    let failed = r.rows.iter().filter(|row| row.failed > 0).count();
    let mut h = format!(
        "<h1>{}</h1>\n<p class=\"facts\">model <b>{}</b>; {} settings x {} splits; {} of {} tasks finished{}; ranked by <b>{}</b></p>\n",
        esc(&input.name),
        esc(&input.model),
        r.rows.len(),
        r.n_splits,
        input.finished_tasks,
        input.total_tasks,
        if failed > 0 {
            format!(", {failed} settings with failed tasks")
        } else {
            String::new()
        },
        esc(&r.refit)
    );
    if input.finished_tasks < input.total_tasks {
        h.push_str("<p class=\"note\">Not every task has finished (a run still going, interrupted, or shards not merged): settings with missing splits have no score yet.</p>\n");
    }
    if let Some(best) = r.best() {
        let row = &r.rows[best];
        let s = row.test[&r.refit];
        let _ = writeln!(
            h,
            "<p class=\"facts\">best: <b>{:.4} &plusmn; {:.4}</b> with {}</p>",
            s.mean,
            s.std,
            esc(&describe(&row.params))
        );
    }
    h
}
