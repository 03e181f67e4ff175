//! Everything the case engine reads from configuration, with shipped defaults.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use wangge_core::calendar::Calendar;
use wangge_core::catalogue::Catalogue;
use wangge_core::duplicate::DuplicateRules;
use wangge_core::rates::RateWeights;
use wangge_core::workflow::WorkflowSet;

/// A group-robot webhook (企业微信 or 钉钉) that hears about dispatches, escalations,
/// 督办 and closings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Webhook {
    pub url: String,
    /// `wecom` (企业微信) or `dingtalk` (钉钉).
    pub format: WebhookFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookFormat {
    Wecom,
    Dingtalk,
}

#[derive(Debug, Clone)]
pub struct CaseConfig {
    pub workflows: WorkflowSet,
    pub catalogue: Catalogue,
    pub calendar: Calendar,
    pub weights: RateWeights,
    pub duplicates: DuplicateRules,
    pub webhooks: Vec<Webhook>,
    /// Attachments are files here, named by their SHA-256, never database rows.
    pub attachments_dir: PathBuf,
    pub max_attachment_bytes: usize,
    /// Weights of the dispute escalation-risk score.
    pub risk: wangge_core::risk::RiskRules,
}

impl CaseConfig {
    /// The shipped workflows, catalogue and holiday calendar.
    pub fn defaults(attachments_dir: PathBuf) -> Self {
        Self {
            workflows: WorkflowSet::defaults(),
            catalogue: Catalogue::defaults(),
            calendar: match Calendar::china_default() {
                Ok(c) => c,
                Err(e) => panic!("shipped holiday calendar is invalid: {e}"),
            },
            weights: RateWeights::default(),
            duplicates: DuplicateRules::default(),
            webhooks: Vec::new(),
            attachments_dir,
            max_attachment_bytes: 10 * 1024 * 1024,
            risk: wangge_core::risk::RiskRules::defaults(),
        }
    }
}
