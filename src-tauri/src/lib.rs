//! Linnet's Tauri shell: thin commands over the engine, event forwarding, keyring, notifications.

mod adhoc;
mod avatars;
mod bindings;
#[cfg(test)]
mod command_list;
mod commands;
mod credentials;
mod desktop;
mod error;
mod events;
mod file_commands;
mod media;
mod message_commands;
mod notifications;
mod people;
mod registration;
mod startup;
mod tray;
mod views;
mod voice;

use std::path::PathBuf;
use std::sync::Arc;

use linnet_engine::{Engine, TrustRoots};
use tauri::Manager;

/// Extra trusted CA (PEM file), e.g. a company CA or the test harness's CA.
const EXTRA_CA_ENV: &str = "LINNET_EXTRA_CA";
/// Overrides where the database lives (tests use a temporary folder).
const DATA_DIR_ENV: &str = "LINNET_DATA_DIR";
/// Set (to anything) to keep WebKitGTK's OpenGL compositing, see [`software_compositing`].
const GPU_COMPOSITING_ENV: &str = "LINNET_GPU_COMPOSITING";

/// Linux: turns WebKitGTK's accelerated (OpenGL) compositing off unless the user asks for it
/// (`LINNET_GPU_COMPOSITING`) or set `WEBKIT_DISABLE_COMPOSITING_MODE` themselves. Without a
/// GPU driver (virtual machines, remote desktops, many laptops) that compositing runs in Mesa's
/// llvmpipe software rasteriser: joining a room of 10 occupants then cost the web process
/// about 5 s of CPU, 4 s of it in llvmpipe threads, and frames of 170–900 ms on a 2-core
/// machine; with it off, 0.8 s and no frame over 90 ms. A chat window has nothing that needs
/// the GPU. Must run before GTK and WebKit start (the web process inherits the environment).
fn software_compositing() {
    if cfg!(target_os = "linux")
        && std::env::var_os(GPU_COMPOSITING_ENV).is_none()
        && std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none()
    {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
}

fn data_dir(app: &tauri::App) -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV) {
        return Ok(PathBuf::from(dir));
    }
    app.path()
        .app_data_dir()
        .map_err(|e| format!("no data folder: {e}"))
}

/// The data folder is the user's alone (0700).
fn owner_only_dir(dir: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Err(e) = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)) {
            tracing::warn!("cannot restrict {}: {e}", dir.display());
        }
    }
}

fn trust_roots() -> TrustRoots {
    match std::env::var_os(EXTRA_CA_ENV) {
        Some(path) => TrustRoots::from_pem_file(std::path::Path::new(&path)).unwrap_or_else(|e| {
            tracing::error!("{EXTRA_CA_ENV} unusable: {e}");
            TrustRoots::default()
        }),
        None => TrustRoots::default(),
    }
}

/// Keeps the webview on Linnet's own UI: any other navigation (a link that escaped the UI's
/// click handler, a redirect) is refused; links open in the system browser via `open_link`.
fn navigation_guard<R: tauri::Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri::plugin::Builder::new("linnet-navigation")
        .on_navigation(|_, url| {
            let own = match url.scheme() {
                "tauri" => true,
                "http" | "https" => matches!(url.host_str(), Some("tauri.localhost" | "localhost")),
                _ => false,
            };
            if !own {
                tracing::warn!("blocked navigation to {url}");
            }
            own
        })
        .build()
}

/// Builds and runs the app until the last window closes.
pub fn run() {
    software_compositing();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .try_init();
    let context = tauri::generate_context!();
    // One Linnet per data folder: a second launch hands over its arguments (an `xmpp:` link)
    // and exits. Registered first, so a second launch does nothing else.
    let instance = desktop::instance_id(
        &context.config().identifier,
        std::env::var_os(DATA_DIR_ENV).as_deref(),
    );
    let result = tauri::Builder::default()
        .plugin(
            tauri_plugin_single_instance::Builder::new()
                .dbus_id(instance)
                .callback(|app, argv, _cwd| desktop::on_second_launch(app, argv))
                .build(),
        )
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec![desktop::AUTOSTART_ARG]),
        ))
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(navigation_guard())
        .register_asynchronous_uri_scheme_protocol("linnet-preview", |ctx, request, responder| {
            let app = ctx.app_handle().clone();
            tauri::async_runtime::spawn(async move {
                responder.respond(file_commands::preview_response(&app, &request).await);
            });
        })
        .register_asynchronous_uri_scheme_protocol("linnet-avatar", |ctx, request, responder| {
            let app = ctx.app_handle().clone();
            tauri::async_runtime::spawn(async move {
                responder.respond(avatars::avatar_response(&app, &request).await);
            });
        })
        .register_asynchronous_uri_scheme_protocol("linnet-media", |ctx, request, responder| {
            let app = ctx.app_handle().clone();
            tauri::async_runtime::spawn(async move {
                responder.respond(media::media_response(&app, &request).await);
            });
        })
        .on_window_event(|window, event| {
            // With a tray, closing the window hides it: Linnet stays connected (`tray`).
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                if let Some(tray) = window.try_state::<tray::Tray>() {
                    if window.label() == "main" && tray.keeps_running() {
                        api.prevent_close();
                        let _ = window.hide();
                        tray.tell_once(window.app_handle());
                    }
                }
            }
            // Files dropped on the window may be sent (`file_commands::send_file`).
            if let tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) = event {
                window
                    .state::<file_commands::FileGrants>()
                    .grant(paths.iter().cloned());
            }
        })
        .setup(|app| {
            let dir = data_dir(app)?;
            std::fs::create_dir_all(&dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            owner_only_dir(&dir);
            let credentials = Arc::new(credentials::Credentials::new(credentials::Keyring));
            // Encrypted at rest (SQLCipher) with a random key kept in the OS keyring. When it
            // cannot be opened the window says why and what to do (`startup`).
            let startup = startup::Startup::new(
                dir.join("linnet.sqlite"),
                trust_roots(),
                credentials.clone(),
            );
            let opened = tauri::async_runtime::block_on(startup.open_with_keyring(app.handle()));
            if let Err(problem) = opened {
                tracing::error!("database not opened: {}", problem.message);
            }
            app.manage(startup);
            app.manage(credentials);
            app.manage(events::ActiveConversation::default());
            app.manage(registration::Created::default());
            app.manage(file_commands::FileGrants::default());
            app.manage(file_commands::SavedFiles::default());
            app.manage(media::MediaCache(dir.join("media")));
            app.manage(voice::VoiceRecorder::default());
            app.manage(desktop::LaunchUri::from_args());
            app.manage(tray::Tray::new(app.handle(), &dir));
            desktop::start_in_tray_when_autostarted(app.handle());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            startup::database_problem,
            startup::unlock_database,
            startup::start_afresh,
            commands::list_accounts,
            commands::add_account,
            commands::remove_account,
            commands::set_account_enabled,
            commands::update_account,
            commands::trust_certificate,
            commands::list_contacts,
            commands::list_conversations,
            commands::load_messages,
            commands::send_message,
            message_commands::correct_message,
            message_commands::retract_message,
            message_commands::moderate_message,
            message_commands::react_to_message,
            message_commands::send_chat_state,
            message_commands::message_edits,
            message_commands::search_messages,
            message_commands::load_messages_around,
            commands::mark_read,
            commands::retry_message,
            commands::fetch_history,
            commands::join_room,
            commands::leave_room,
            commands::list_rooms,
            commands::set_room_notify,
            commands::invite_to_room,
            commands::room_config,
            commands::set_room_config,
            commands::room_state,
            commands::set_muted,
            commands::conversation_encryption,
            commands::set_conversation_encryption,
            commands::own_omemo_device,
            commands::omemo_devices,
            commands::set_omemo_trust,
            commands::open_link,
            file_commands::pick_files,
            file_commands::send_file,
            media::fetch_media,
            desktop::launch_uri,
            commands::blocklist,
            commands::block_jid,
            commands::block_and_report,
            avatars::set_avatar,
            people::profile,
            people::set_profile,
            people::contact_resources,
            people::update_contact,
            people::request_subscription,
            people::unsubscribe,
            registration::registration_form,
            registration::register_account,
            registration::cancel_registration,
            registration::change_password,
            registration::delete_account_on_server,
            adhoc::list_commands,
            adhoc::run_command,
            adhoc::continue_command,
            adhoc::cancel_command,
            commands::unblock_jid,
            tray::set_close_to_tray,
            desktop::autostart_enabled,
            desktop::set_autostart,
            voice::start_voice_message,
            voice::send_voice_message,
            voice::cancel_voice_message,
            file_commands::send_file_data,
            file_commands::cancel_upload,
            file_commands::send_file_direct,
            file_commands::accept_transfer,
            file_commands::decline_transfer,
            file_commands::cancel_transfer,
            file_commands::save_file,
            file_commands::save_file_as,
            file_commands::show_saved_file,
            commands::set_presence,
            commands::add_contact,
            commands::remove_contact,
            commands::list_subscription_requests,
            commands::approve_subscription,
            commands::deny_subscription,
            commands::set_password,
            commands::set_active_conversation,
        ])
        .build(context);
    match result {
        Ok(app) => app.run(|handle, event| {
            if let tauri::RunEvent::Exit = event {
                close_cleanly(handle);
            }
        }),
        Err(e) => {
            eprintln!("Linnet could not start: {e}");
            std::process::exit(1);
        }
    }
}

/// On quit, every account's stream is closed (`</stream:stream>`, RFC 6120 §4.4) so the
/// server ends the session at once instead of keeping a stream-management session
/// (XEP-0198) waiting for a resumption that never comes, which holds back and duplicates the
/// next session's messages; the archive position is saved and the database closed. Bounded
/// by [`QUIT_TIMEOUT`] so an unreachable server never holds the quit.
fn close_cleanly(handle: &tauri::AppHandle) {
    let Some(engine) = handle.try_state::<Engine>() else {
        return;
    };
    let engine = engine.inner().clone();
    let closed = tauri::async_runtime::block_on(async move {
        tokio::time::timeout(QUIT_TIMEOUT, engine.shutdown()).await
    });
    if closed.is_err() {
        tracing::warn!("quit before every account had closed its stream");
    }
}

/// Longest wait for streams to close on quit.
const QUIT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
