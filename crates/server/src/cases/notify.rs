//! Telling people: the in-app inbox row and the group-robot webhook payloads (企业微信 and
//! 钉钉 markdown messages), both written in the command's transaction.

use serde_json::json;
use wangge_store::{notify, Tx};

use super::config::{Webhook, WebhookFormat};
use crate::error::ApiResult;

/// The JSON a group robot accepts.
pub fn robot_payload(format: WebhookFormat, title: &str, text: &str) -> serde_json::Value {
    match format {
        WebhookFormat::Wecom => {
            json!({"msgtype": "markdown", "markdown": {"content": format!("**{title}**\n{text}")}})
        }
        WebhookFormat::Dingtalk => {
            json!({"msgtype": "markdown", "markdown": {"title": title, "text": format!("### {title}\n{text}")}})
        }
    }
}

/// What to tell, and whom.
pub struct Notice<'a> {
    /// The user whose inbox gets it (the assignee, the reporter…), if any.
    pub user: Option<i64>,
    pub case_id: i64,
    pub kind: &'a str,
    pub title: &'a str,
    pub text: &'a str,
}

/// Inbox entry for the user (if any) and one outbox row per configured webhook.
pub async fn tell(tx: &mut Tx, webhooks: &[Webhook], n: &Notice<'_>, now_ms: i64) -> ApiResult<()> {
    if let Some(u) = n.user {
        notify::notify(
            tx,
            u,
            Some(n.case_id),
            n.kind,
            &format!("{}：{}", n.title, n.text),
            now_ms,
        )
        .await?;
    }
    for w in webhooks {
        let payload = json!({"url": w.url, "body": robot_payload(w.format, n.title, n.text)});
        notify::enqueue_webhook(tx, &payload.to_string(), now_ms).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robot_formats() {
        let w = robot_payload(WebhookFormat::Wecom, "督办", "请尽快处理");
        assert_eq!(w["msgtype"], "markdown");
        assert!(w["markdown"]["content"].as_str().unwrap().contains("督办"));
        let d = robot_payload(WebhookFormat::Dingtalk, "督办", "请尽快处理");
        assert_eq!(d["markdown"]["title"], "督办");
    }
}
