// The `@` suggestions under the composer's message box: folders and files of the conversation's
// folder (mention.ts). Focus stays in the textarea (aria-activedescendant), like the command list.

import { SuggestList } from '../composer/SuggestList';
import { Icon } from '../Icon';
import { formatSize } from './limits';
import type { FolderEntry } from './mention';

/** What makes the list this one: its ids, its name for screen readers, how an entry is named. */
const LIST = {
  id: 'composer-mentions',
  label: 'Files of the folder',
  class: 'mention-suggest',
  keyOf: (e: FolderEntry) => e.path,
  data: (e: FolderEntry) => ({ 'data-path': e.path }),
  render: (e: FolderEntry) => (
    <>
      <Icon name={e.type === 'dir' ? 'folder' : 'file'} size={14} />
      <span class="cmd-name">
        {e.path}
        {e.type === 'dir' ? '/' : ''}
      </span>
      {e.type === 'file' && e.size !== undefined ? <span class="cmd-desc">{formatSize(e.size)}</span> : null}
    </>
  ),
};

export function MentionList(props: {
  items: FolderEntry[];
  active: number;
  onTake: (e: FolderEntry) => void;
}) {
  return <SuggestList {...LIST} {...props} />;
}
