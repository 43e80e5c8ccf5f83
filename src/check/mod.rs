//! Stage 3: the rules that span sections (and artifacts) of the lowered spec. They run on the
//! typed IR, partial when some sections had errors (those sections are absent), and point
//! at the spans the IR nodes carry. Each pushes a diagnostic with a stable code and goes on,
//! so one run reports every problem.

mod database;
mod host;
mod network;
mod stack;
mod web;

use crate::diag::Diags;
use crate::ir::Spec;

pub(crate) fn check(spec: &Spec, d: &Diags) {
    network::ssh_reachable(spec, d);
    network::web_reachable(spec, d);
    network::docker_bypass(spec, d);
    network::duplicate_rules(spec, d);
    stack::upstreams_published(spec, d);
    stack::paths_apart(spec, d);
    stack::database_reachable(spec, d);
    stack::secrets_mounted(spec, d);
    database::cert_needs_ca(spec, d);
    database::listen_matches_hba(spec, d);
    database::hba_reaches_compose(spec, d);
    web::frame_agrees_with_csp(spec, d);
    web::hsts_redirects(spec, d);
    host::accounts_declared(spec, d);
    host::audit_covers_installed(spec, d);
}
