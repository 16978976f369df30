import type { z } from 'zod';
import type {
  CheckpointEventSchema,
  CheckpointFileSchema,
  CheckpointRevertedEventSchema,
  RevertActionSchema,
} from '../../domain/events.ts';

// The checkpoint events are part of the event vocabulary (src/domain/events.ts; docs/CONTRACT.md
// section 9): agent-output events of the conversation's stream, which change no table.
export {
  CheckpointEventSchema,
  CheckpointRevertedEventSchema,
} from '../../domain/events.ts';

export type CheckpointFile = z.infer<typeof CheckpointFileSchema>;
export type CheckpointEventBody = z.infer<typeof CheckpointEventSchema>;
export type CheckpointRevertedEventBody = z.infer<typeof CheckpointRevertedEventSchema>;
export type RevertAction = z.infer<typeof RevertActionSchema>;
