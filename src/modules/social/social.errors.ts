import { defineErrors } from '../../platform/errors.ts';

export const SOCIAL_ERRORS = defineErrors({
  SOCIAL_USER_NOT_FOUND: {
    status: 404,
    when: 'No user with this id, or the user has blocked you (both answer the same).',
  },
  SOCIAL_CONNECTION_SELF: { status: 422, when: 'A connection request or block names yourself.' },
  SOCIAL_CONNECTION_EXISTS: { status: 409, when: 'You are already connected with this user.' },
  SOCIAL_CONNECTION_PENDING: {
    status: 409,
    when: 'You already asked this user to connect; wait for them to accept or withdraw it (DELETE).',
  },
  SOCIAL_CONNECTION_OWN_REQUEST: {
    status: 409,
    when: 'The pending request is yours: only the user you asked can accept or decline it.',
  },
  SOCIAL_CONNECTION_NOT_FOUND: {
    status: 404,
    when: 'No connection or pending request between you and this user.',
  },
  SOCIAL_USER_BLOCKED: {
    status: 409,
    when: 'You blocked this user: unblock them (DELETE /api/v1/blocks/:userId) before connecting.',
  },
  SOCIAL_BLOCK_NOT_FOUND: { status: 404, when: 'You have not blocked this user.' },
  SOCIAL_TAG_NOT_FOUND: {
    status: 404,
    when: 'No audience tag with this id belongs to you (also when a post or connection names one).',
  },
  SOCIAL_TAG_EXISTS: { status: 409, when: 'You already have an audience tag with this name.' },
  SOCIAL_AUDIENCE_INVALID: {
    status: 422,
    when: 'A post audience is either `["all"]` or a list of your tag ids, not both.',
  },
  SOCIAL_POST_NOT_FOUND: {
    status: 404,
    when: 'No post with this id is visible to you; posts outside your audience answer the same.',
  },
  SOCIAL_COMMENT_NOT_FOUND: {
    status: 404,
    when: 'No comment with this id on a post visible to you.',
  },
  SOCIAL_COMMENT_FORBIDDEN: {
    status: 403,
    when: 'Only the comment’s author or the post’s author may delete a comment.',
  },
  SOCIAL_PHOTO_NOT_FOUND: {
    status: 404,
    when: 'A post names a photo key that is not one of your upload slots (unknown, or another user’s).',
  },
  SOCIAL_PHOTO_IN_USE: { status: 409, when: 'The photo’s upload slot was already used by a post.' },
  SOCIAL_PHOTO_DUPLICATE: { status: 422, when: 'A post names the same photo key twice.' },
  SOCIAL_PHOTO_SLOT_EXPIRED: {
    status: 410,
    when: 'The upload slot expired before a post used it; its object is deleted. Ask for a new slot.',
  },
  SOCIAL_PHOTO_NOT_UPLOADED: {
    status: 422,
    when: 'Nothing was uploaded to the photo’s slot yet; PUT the bytes to its URL first.',
  },
  SOCIAL_PHOTO_TOO_LARGE: {
    status: 413,
    when: 'A photo (declared, or as uploaded) is larger than its slot or SOCIAL_PHOTO_MAX_BYTES; the object is deleted.',
  },
  SOCIAL_PHOTO_UNSUPPORTED_TYPE: {
    status: 415,
    when: 'The uploaded bytes are not the declared JPEG, PNG, WebP or GIF image; the object is deleted.',
  },
});
