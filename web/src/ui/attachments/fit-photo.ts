// A camera photo made fit to send. Phones take 3–12 MB JPEGs: in base64 (a third larger) most would pass
// the server's request limit (GMGUI_BODY_LIMIT, 5 MiB by default) and some the image limit, and models
// scale every image down to about 1.5–2 k pixels anyway. So a large JPEG is redrawn at most PHOTO_SIDE
// pixels on its long side before it is attached. Screenshots and other PNG, GIF and WebP images are
// sent as they are, byte for byte: their text must stay sharp, and they are small.

/** A JPEG above this many bytes is redrawn. */
export const PHOTO_FIT_BYTES = 2 * 1024 * 1024;
/** The long side of a redrawn photo, in pixels. */
export const PHOTO_SIDE = 2048;
const QUALITY = 0.85;

/** The photo redrawn smaller, or null when it is not a large JPEG or redrawing does not make it smaller. */
export async function fitPhoto(file: Blob, head: Uint8Array): Promise<Blob | null> {
  const jpeg = head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff;
  if (!jpeg || file.size <= PHOTO_FIT_BYTES) return null;
  try {
    // The photo's orientation (EXIF) is applied by the decoder: the result is upright.
    const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
    const scale = Math.min(1, PHOTO_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    canvas.getContext('2d')?.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    const out = await new Promise<Blob | null>((done) => canvas.toBlob(done, 'image/jpeg', QUALITY));
    return out && out.size < file.size ? out : null;
  } catch {
    return null; // Not decodable here: the checks that follow say what is wrong with it.
  }
}
