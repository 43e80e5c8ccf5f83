//! The host files with an emitter of their own, as the registry calls them
//! ([`crate::artifact::Emit::Own`]): each is written when the spec has its section.

use minijinja::{Environment, Error};

use super::{Artifact, Context};

pub(crate) fn sysctl(env: &Environment, cx: &Context) -> Result<Option<Artifact>, Error> {
    cx.spec.host.as_ref().and_then(|h| h.sysctl.as_ref()).map(|s| super::sysctl::emit(env, cx, s)).transpose()
}

pub(crate) fn sshd(env: &Environment, cx: &Context) -> Result<Option<Artifact>, Error> {
    cx.spec.host.as_ref().and_then(|h| h.ssh.as_ref()).map(|s| super::sshd::emit(env, cx, s)).transpose()
}

pub(crate) fn fail2ban(env: &Environment, cx: &Context) -> Result<Option<Artifact>, Error> {
    cx.spec.host.as_ref().and_then(|h| h.fail2ban.as_ref()).map(|f| super::fail2ban::emit(env, cx, f)).transpose()
}

pub(crate) fn audit(env: &Environment, cx: &Context) -> Result<Option<Artifact>, Error> {
    cx.spec.host.as_ref().and_then(|h| h.audit.as_ref()).map(|a| super::audit::emit(env, cx, a)).transpose()
}
