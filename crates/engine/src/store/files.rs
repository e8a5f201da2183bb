//! The file a message shares (`messages.file_*`, schema 12): our uploads waiting in the
//! outbox, their URL once uploaded, and where a received file was saved.

use super::rows::COLUMNS;
use super::{ImageInfo, MessageRow, Store, Thumbnail};
use crate::error::EngineError;

impl Store {
    /// Our file messages still waiting for their upload (pending, no URL yet), oldest first:
    /// what `Engine::start` hands back to the uploader after a restart.
    pub async fn waiting_uploads(&self) -> Result<Vec<MessageRow>, EngineError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM messages
             WHERE state = 'pending' AND file_name IS NOT NULL AND file_url IS NULL ORDER BY id"
        );
        Ok(sqlx::query_as(&sql).fetch_all(self.pool()).await?)
    }

    /// Records the URL an upload gave (and the SHA-256, base64, and size of what went up: a
    /// cleaned photo differs from the file) and makes the URL the body (XEP-0066: what clients
    /// without out-of-band data show). Returns the row, `None` when it is no longer pending
    /// or was retracted meanwhile (it must then never be sent).
    pub async fn set_file_url(
        &self,
        id: i64,
        url: &str,
        sha256: &str,
        size: u64,
    ) -> Result<Option<MessageRow>, EngineError> {
        let sql = format!(
            "UPDATE messages SET file_url = ?, body = ?, file_sha256 = ?, file_size = ?
             WHERE id = ? AND state = 'pending' AND retracted = 0
             RETURNING {COLUMNS}"
        );
        Ok(sqlx::query_as(&sql)
            .bind(url)
            .bind(url)
            .bind(sha256)
            .bind(i64::try_from(size).ok())
            .bind(id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// Remembers where a received file was saved.
    pub async fn set_file_path(&self, id: i64, path: &str) -> Result<(), EngineError> {
        sqlx::query("UPDATE messages SET file_path = ? WHERE id = ? AND file_name IS NOT NULL")
            .bind(path)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The stored preview of message `id` (PNG bytes), if one was made.
    pub async fn preview(&self, id: i64) -> Result<Option<Vec<u8>>, EngineError> {
        Ok(
            sqlx::query_scalar("SELECT png FROM previews WHERE message_id = ?")
                .bind(id)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// Keeps the preview of message `id` (PNG bytes).
    pub async fn set_preview(&self, id: i64, png: &[u8]) -> Result<(), EngineError> {
        sqlx::query("INSERT OR REPLACE INTO previews (message_id, png) VALUES (?, ?)")
            .bind(id)
            .bind(png)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Keeps what the image of message `id` looks like (replacing what was kept).
    pub async fn set_file_image(&self, id: i64, image: &ImageInfo) -> Result<(), EngineError> {
        let mut conn = self.pool().acquire().await?;
        insert_image(&mut conn, id, image).await
    }

    /// What the image of message `id` looks like, when that is known.
    pub async fn file_image(&self, id: i64) -> Result<Option<ImageInfo>, EngineError> {
        type Row = (
            Option<u32>,
            Option<u32>,
            Option<String>,
            Option<u32>,
            Option<u32>,
            Option<Vec<u8>>,
        );
        let row: Option<Row> = sqlx::query_as(
            "SELECT width, height, thumbnail_type, thumbnail_width, thumbnail_height, thumbnail
             FROM file_images WHERE message_id = ?",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(
            row.map(|(width, height, media_type, tw, th, data)| ImageInfo {
                width,
                height,
                thumbnail: match (media_type, tw, th, data) {
                    (Some(media_type), Some(width), Some(height), Some(data)) => Some(Thumbnail {
                        media_type,
                        width,
                        height,
                        data,
                    }),
                    _ => None,
                },
            }),
        )
    }

    /// Whether `jid` is in the account's roster (any subscription).
    pub async fn in_roster(&self, account_id: i64, jid: &str) -> Result<bool, EngineError> {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM roster_items WHERE account_id = ? AND jid = ?",
        )
        .bind(account_id)
        .bind(jid)
        .fetch_one(self.pool())
        .await?
            > 0)
    }
}

/// `INSERT OR REPLACE` of what the image of message `id` looks like, on a connection (or
/// inside a transaction).
pub(super) async fn insert_image(
    conn: &mut sqlx::SqliteConnection,
    id: i64,
    image: &ImageInfo,
) -> Result<(), EngineError> {
    let thumb = image.thumbnail.as_ref();
    sqlx::query(
        "INSERT OR REPLACE INTO file_images
             (message_id, width, height, thumbnail_type, thumbnail_width, thumbnail_height, thumbnail)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(image.width)
    .bind(image.height)
    .bind(thumb.map(|t| t.media_type.as_str()))
    .bind(thumb.map(|t| t.width))
    .bind(thumb.map(|t| t.height))
    .bind(thumb.map(|t| t.data.as_slice()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}
