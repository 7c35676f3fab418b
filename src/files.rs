//! Getting a file's bytes into the app without blocking a frame: the native or browser file
//! dialog (rfd's async dialog), and files dropped on the window. Results arrive through a
//! channel that the app polls each frame.

use std::sync::mpsc::{Receiver, Sender, channel};

/// The largest file the app reads (the official full NAS-Bench-101 tfrecord is about 2 GB).
pub const MAX_FILE_BYTES: u64 = 3 << 30;

/// A file's name and bytes, or why it could not be read (naming the file).
pub type FileResult = Result<(String, Vec<u8>), FileReadError>;

/// Why a file the user chose or dropped could not be read. The message names the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileReadError {
    /// Larger than [`MAX_FILE_BYTES`].
    #[error("{name}: {size} bytes is more than the {MAX_FILE_BYTES} bytes the app reads")]
    TooLarge {
        /// The file's name.
        name: String,
        /// Its size in bytes.
        size: u64,
    },
    /// The system or the browser could not read it.
    #[error("{name}: {reason}")]
    Unreadable {
        /// The file's name.
        name: String,
        /// Why, in the system's words.
        reason: String,
    },
}

/// What a file dialog asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// NAS-Bench-101 cells in any format the data layer reads.
    Data,
    /// A training checkpoint zip.
    Checkpoint,
}

impl FileKind {
    fn dialog(self) -> rfd::AsyncFileDialog {
        let (title, filter, extensions): (&str, &str, &[&str]) = match self {
            Self::Data => ("Open NAS-Bench-101 data", "NAS-Bench-101 data", &["zip", "pth", "pt", "tfrecord", "csv"]),
            Self::Checkpoint => ("Open a training checkpoint", "Checkpoint zip", &["zip"]),
        };
        rfd::AsyncFileDialog::new().set_title(title).add_filter(filter, extensions).add_filter("All files", &["*"])
    }
}

#[derive(Debug)]
pub struct FileInbox {
    sender: Sender<FileResult>,
    receiver: Receiver<FileResult>,
    messages: (Sender<String>, Receiver<String>),
}

impl Default for FileInbox {
    fn default() -> Self {
        let (sender, receiver) = channel();
        Self { sender, receiver, messages: channel() }
    }
}

impl FileInbox {
    /// Opens the file dialog; the chosen file arrives later through [`FileInbox::poll`].
    pub fn open_dialog(&self, ctx: &egui::Context, kind: FileKind) {
        let sender = self.sender.clone();
        let ctx = ctx.clone();
        let job = async move {
            if let Some(file) = kind.dialog().pick_file().await {
                let name = file.file_name();
                // The size is checked before the file is read.
                let result = match file_size(&file) {
                    Some(size) if size > MAX_FILE_BYTES => Err(FileReadError::TooLarge { name: name.clone(), size }),
                    _ => check_size(name, file.read().await),
                };
                let _ = sender.send(result);
                ctx.request_repaint();
            }
        };
        #[cfg(not(target_arch = "wasm32"))]
        std::thread::spawn(move || vsgae::readback::block_on(job));
        #[cfg(target_arch = "wasm32")]
        wasm_bindgen_futures::spawn_local(job);
    }

    /// Takes the files dropped on the window this frame and reads them off the UI thread (a
    /// worker thread natively, an async browser read on the web).
    pub fn take_dropped(&self, ctx: &egui::Context) {
        let dropped = ctx.input_mut(|input| std::mem::take(&mut input.raw.dropped_files));
        for file in dropped {
            let sender = self.sender.clone();
            let ctx = ctx.clone();
            let name = file
                .path()
                .file_name()
                .map_or_else(|| file.path().display().to_string(), |n| n.to_string_lossy().into_owned());
            #[cfg(not(target_arch = "wasm32"))]
            std::thread::spawn(move || {
                let size = std::fs::metadata(file.path()).map(|m| m.len()).unwrap_or(0);
                let result = if size > MAX_FILE_BYTES {
                    Err(FileReadError::TooLarge { name: name.clone(), size })
                } else {
                    file.bytes().map_err(|e| unreadable(&name, e)).and_then(|bytes| check_size(name, bytes))
                };
                let _ = sender.send(result);
                ctx.request_repaint();
            });
            #[cfg(target_arch = "wasm32")]
            wasm_bindgen_futures::spawn_local(async move {
                let result = file.bytes_async().await.map_err(|e| unreadable(&name, e));
                let _ = sender.send(result.and_then(|bytes| check_size(name, bytes)));
                ctx.request_repaint();
            });
        }
    }

    /// The files that arrived since the last call.
    pub fn poll(&self) -> Vec<FileResult> {
        self.receiver.try_iter().collect()
    }

    /// Offers `bytes` as a file named `file_name`: a save dialog natively, a download in the
    /// browser. What came of it arrives through [`FileInbox::poll_messages`].
    pub fn save(&self, ctx: &egui::Context, file_name: String, bytes: Vec<u8>) {
        let messages = self.messages.0.clone();
        #[cfg(not(target_arch = "wasm32"))]
        {
            let ctx = ctx.clone();
            std::thread::spawn(move || {
                let dialog = FileKind::Checkpoint.dialog().set_title("Save").set_file_name(&file_name);
                let Some(handle) = vsgae::readback::block_on(dialog.save_file()) else { return };
                let path = handle.path().display().to_string();
                let message = match vsgae::io::checkpoint::write_atomically(handle.path(), &bytes) {
                    Ok(()) => format!("saved {path}"),
                    Err(error) => format!("could not save: {error}"),
                };
                let _ = messages.send(message);
                ctx.request_repaint();
            });
        }
        #[cfg(target_arch = "wasm32")]
        {
            let message = match download(&file_name, &bytes) {
                Ok(()) => format!("downloading {file_name}"),
                Err(error) => format!("{file_name}: {error}"),
            };
            let _ = messages.send(message);
            ctx.request_repaint();
        }
    }

    /// Messages about saved files since the last call.
    pub fn poll_messages(&self) -> Vec<String> {
        self.messages.1.try_iter().collect()
    }
}

/// Starts a browser download of `bytes` through a blob URL and a temporary link.
#[cfg(target_arch = "wasm32")]
fn download(file_name: &str, bytes: &[u8]) -> Result<(), crate::error::AppError> {
    use crate::error::AppError;
    use eframe::wasm_bindgen::JsCast;
    let js = |e: eframe::wasm_bindgen::JsValue| AppError::Download(format!("{e:?}"));
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/zip");
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(js)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(js)?;
    let document =
        web_sys::window().and_then(|w| w.document()).ok_or_else(|| AppError::Download("no document".to_owned()))?;
    let link: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(js)?
        .dyn_into()
        .map_err(|_| AppError::Download("not an anchor element".to_owned()))?;
    link.set_href(&url);
    link.set_download(file_name);
    link.click();
    // Let the download take the blob before the URL goes (a minute is plenty).
    let window = web_sys::window().ok_or_else(|| AppError::Download("no window".to_owned()))?;
    let revoke = eframe::wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    window.set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 60_000).map_err(js)?;
    Ok(())
}

/// A chosen file's size, without reading it.
fn file_size(file: &rfd::FileHandle) -> Option<u64> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::fs::metadata(file.path()).ok().map(|m| m.len())
    }
    #[cfg(target_arch = "wasm32")]
    {
        Some(file.inner().size() as u64)
    }
}

fn unreadable(name: &str, reason: impl std::fmt::Display) -> FileReadError {
    FileReadError::Unreadable { name: name.to_owned(), reason: reason.to_string() }
}

fn check_size(name: String, bytes: Vec<u8>) -> FileResult {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(FileReadError::TooLarge { size: bytes.len() as u64, name });
    }
    Ok((name, bytes))
}
