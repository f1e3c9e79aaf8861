export { detectRemovableMedia, freeSpace, removableFromLsblk, type Medium } from './detect';
export { readBackSha256, type ReadBackMethod } from './read-back';
